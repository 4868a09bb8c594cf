"""Production: debug off, secrets and hosts required from the environment, HTTPS only.

Checked by `python manage.py check --deploy --fail-level WARNING`.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, LOGGING, REST_FRAMEWORK, STORAGES, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

if "pool" not in DATABASES["default"].get("OPTIONS", {}):
    # Outside the web server's pool (config/settings/base.py), a thread keeps its
    # connection for DJANGO_CONN_MAX_AGE seconds between requests and tasks.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# A kept connection (or a pooled one) is checked before use: one the database closed
# meanwhile is replaced, not handed to a request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The API answers JSON only: no browsable API (DRF's HTML pages with forms), and no
# renderer to choose per request. Swagger UI (/api-docs/) stays for people.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["core.renderers.JSONRenderer"]

STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}

# TLS ends at the load balancer or reverse proxy. Whether a request came over HTTPS is
# the scheme gunicorn sets, from X-Forwarded-Proto of trusted proxies only
# (FORWARDED_ALLOW_IPS, gunicorn.conf.py): no SECURE_PROXY_SSL_HEADER, which would
# believe that header from anyone. /health/ answers before the redirect (core/middleware.py).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
# Both bind more than this site (every subdomain; browsers' built-in lists, for months),
# so they are off until you turn them on; `check --deploy` is told that on purpose.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# One JSON object per line for the log shipper (core/logging.py).
LOGGING["handlers"]["console"]["formatter"] = env("DJANGO_LOG_FORMAT", default="json")
