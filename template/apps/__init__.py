"""Business domains, one Django app each.

A domain is a package here with an `apps.py`. Settings and URLs discover domains
(see `config/domains.py`), so adding one needs no edit outside its own package.
"""
