"""The machinery of a Django modular monolith, shipped by its Copier template.

- `domains`: which packages under `apps/` are domains, and what each declares.
- `boundaries`: the boundary rules, their baseline and cache (`manage.py check_boundaries`).
- `architecture`: the module map (`manage.py domain_map`) and affected-test selection.
- `events`: domain events and their durable publication registry (a Django app).
- `worker`: `enqueue`, over django-q2, Celery or no worker at all.
- `scaffold`: a new domain's files (`manage.py startdomain`).
- `calls`: calls into a domain's public `services`, the one place they are observed
  (`telemetry`: OpenTelemetry spans and metrics per domain) or rerouted (`rehearsal`:
  a domain's services behind HTTP); `middleware` names the domain owning each route.
"""

__version__ = "0.2.0"
