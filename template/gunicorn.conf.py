"""Gunicorn settings, from the environment; gunicorn reads this file from the working dir."""

import importlib
import os

# All interfaces: inside a container, the port is published by the runtime.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two workers suit a container given about one CPU. The host's CPU count says nothing
# about the container's share of it: raise GUNICORN_WORKERS (about 2 per CPU of the
# container's limit) or run more containers.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads, each serving one connection at a time. A synchronous worker is one
# connection: two clients sending their headers or body slowly (one line every few
# seconds) hold the whole server. With threads, a slow client holds one thread, and a
# worker's main loop only hands a connection to a thread once it has data, so idle
# connections cost nothing. 64 threads: the kernel may hand most slow clients to one
# worker, and 50 of them must leave it threads to serve others.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
# Threads take a PostgreSQL connection from their worker's pool for a request and give
# it back after: at most workers x DJANGO_DB_POOL_MAX_SIZE connections (2 x 20), not
# workers x threads, whatever the load (PostgreSQL accepts 100 by default). A request
# that finds the pool empty for DJANGO_DB_POOL_TIMEOUT seconds is answered 503.
# DJANGO_DB_POOL=false turns the pool off (e.g. behind PgBouncer).
os.environ.setdefault("DJANGO_DB_POOL", "true")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (`docker compose stop`) gunicorn stops accepting, finishes the requests it
# has, and exits; compose.yaml's stop_grace_period leaves it this long plus a margin
# before SIGKILL. Keep the two in step.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# No runtime control socket: it would live in $HOME/.gunicorn, and the image's user has
# no home (gunicorn logs "Control server error: Permission denied" for it).
control_socket_disable = True

# Django logs one structured line per request (core/logging.py), with its id: no
# second access log line unless GUNICORN_ACCESS_LOG is set (to "-" for stdout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# TLS ends at a proxy in front, which says so in X-Forwarded-Proto. Gunicorn believes
# that header (and sets the request's scheme, which Django reads) only from these
# addresses: set FORWARDED_ALLOW_IPS to your proxy's, e.g. "10.0.0.2" or "10.0.0.0/24".
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker: object) -> None:
    """Responses name no server software: no `Server: gunicorn` header, which only
    tells a scanner which weaknesses to try."""
    response = importlib.import_module("gunicorn.http.wsgi").Response
    default_headers = response.default_headers

    def without_server(self: object) -> list[str]:
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    response.default_headers = without_server
