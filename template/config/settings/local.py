"""Development on your machine: debug on, a throwaway secret key, plain HTTP, open API docs,
e-mail printed to the console, and django-debug-toolbar on every HTML page."""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, MIDDLEWARE, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
API_DOCS_PUBLIC = env.bool("DJANGO_API_DOCS_PUBLIC", default=True)

# Mail goes to the console unless EMAIL_URL names a server (the `local` compose
# profile points it at Mailpit) or DJANGO_EMAIL_BACKEND a backend.
if not env("EMAIL_URL", default="") and not env("DJANGO_EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# django-debug-toolbar, a development dependency: never in the image, nor in tests.
# Shown when DEBUG is on, to requests from INTERNAL_IPS or from Docker's gateway (the
# `local` compose profile's runserver sees your browser there).
INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
MIDDLEWARE = [*MIDDLEWARE, "debug_toolbar.middleware.DebugToolbarMiddleware"]
INTERNAL_IPS = env.list("DJANGO_INTERNAL_IPS", default=["127.0.0.1"])
DEBUG_TOOLBAR_CONFIG = {
    "SHOW_TOOLBAR_CALLBACK": "debug_toolbar.middleware.show_toolbar_with_docker",
    # Off besides the toolbar's own defaults: the history panel reads every request's
    # body again after the view, so a body the API refused as too large (413) or too
    # deeply nested (400) would end in the panel's error instead (docs/api.md).
    "DISABLE_PANELS": {
        "debug_toolbar.panels.history.HistoryPanel",
        "debug_toolbar.panels.profiling.ProfilingPanel",
        "debug_toolbar.panels.redirects.RedirectsPanel",
    },
}
