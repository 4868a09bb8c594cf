"""Machine-checked boundaries between the business domains.

The rules (README.md, "The boundary rules"):

1. public-interface: outside a domain, only its `services` and `events` modules are imported.
2. declared-dependency: a domain uses another only if its AppConfig lists it in `depends_on`.
3. no-cycles: domains never depend on each other in a circle.
4. core-neutral: `core` never imports a domain.
5. model-relations: a model's relation fields and signal receivers reach another domain's
   models only if the AppConfig lists that domain in `model_relations_to`.

Rules 1-4 run in import-linter (`contract.py`), rule 5 as a Django system check
(`checks.py`); `python manage.py check_boundaries` runs both.
"""
