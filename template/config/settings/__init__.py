"""Settings, one module per environment on top of `base`.

- `local`: development on your machine (`manage.py` uses it unless told otherwise).
- `test`: the pytest suite.
- `production`: the image and any real deployment (`wsgi.py` and `asgi.py` default to it).

Every value a deployment may change is an environment variable, listed in `.env.example`.
"""
