"""Gunicorn settings, from the environment; gunicorn reads this file from the working dir."""

import multiprocessing
import os

# All interfaces: inside a container, the port is published by the runtime.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Gunicorn's rule of thumb; set GUNICORN_WORKERS to fit the container's CPU quota.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# One line per request on stdout, beside the application's own log lines.
accesslog = "-"
errorlog = "-"
# TLS ends at the proxy in front, which sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
