"""Gunicorn settings, from the environment; gunicorn reads this file from the working dir."""

import os

# All interfaces: inside a container, the port is published by the runtime.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two workers suit a container given about one CPU. The host's CPU count says nothing
# about the container's share of it: raise GUNICORN_WORKERS (about 2 per CPU of the
# container's limit) or run more containers.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# One line per request on stdout, beside the application's own log lines.
accesslog = "-"
errorlog = "-"
# TLS ends at a proxy in front, which says so in X-Forwarded-Proto. Gunicorn believes
# that header (and sets the request's scheme, which Django reads) only from these
# addresses: set FORWARDED_ALLOW_IPS to your proxy's, e.g. "10.0.0.2" or "10.0.0.0/24".
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
