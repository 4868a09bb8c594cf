"""Machine-checked boundaries between the business domains.

The rules (README.md, "The boundary rules"):

1. public-interface: outside a domain, only its `services` and `events` modules (and
   modules inside them) are used: no other module, no model handed out by them, no
   model fetched by name (`apps.get_model`), no table named in raw SQL.
2. declared-dependency: a domain uses another only if its AppConfig lists it in
   `depends_on`. Test code may use any domain's public modules.
3. no-cycles: domains never depend on each other in a circle (test code aside).
4. core-neutral: `core` never reaches into a domain, by import, model or table.
5. model-relations: a model's relation fields and signal receivers reach another
   domain's models only if the AppConfig lists that domain in `model_relations_to`.
6. declarations: `depends_on`, `model_relations_to` and `strict` are literals that
   name existing domains.

`python manage.py check_boundaries` (cli.py) reads every rule from the source, with
no Django set-up: source.py reads one file, scan.py reads them all (with a cache),
model.py is the one model of the project (each module, its owner, its reaches and
definitions, which the module map reads too) and rules.py judges the reaches (names.py
holds what a module's name says); baseline.py holds the known crossings a team
tolerates for now. checks.py applies rules 4 and 5 to the loaded models as a Django
system check, for `manage.py check`.
"""
