"""Business domains, one Django app each.

A domain is a package here with an `apps.py`: settings and URLs find it there
(`modulith.domains`), so adding one needs no edit outside its own package.
`python manage.py startdomain <name>` renders a new one.
"""
