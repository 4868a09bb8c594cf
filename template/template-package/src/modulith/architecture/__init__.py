"""The module map: whom each domain relies on and what it offers, read from the code.

- `graph`: the domains and their dependencies (declared, event subscriptions, model
  relations), from the declarations the boundary check reads (`modulith.domains`).
- `source`: what a domain's modules define, read as source code without importing them.
- `canvas` and `document`: `docs/architecture.md`, written by `manage.py domain_map`.
- `affected`: which domains' tests a change reaches (`make test-affected`).
"""
