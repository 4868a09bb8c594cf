"""The module map: whom each domain relies on and what it offers, read from the code.

- `graph`: the domains and their dependencies (declared, event subscriptions, model
  relations), from the declarations the boundary check reads (`modulith.domains`).
- what a domain's modules define is read by the one model of the project
  (`modulith.boundaries.model`), which the boundary check reads too.
- `canvas` and `document`: `docs/architecture.md`, written by `manage.py domain_map`.
- `affected`: which domains' tests a change reaches (`make test-affected`).
"""
