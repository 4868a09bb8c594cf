"""One structured line per request, and the request's id on every line logged meanwhile.

`RequestLogMiddleware` gives each request an id (the proxy's `X-Request-ID` when it is
a plausible one, else a new one), returns it in `X-Request-ID`, and logs one line
`request` with method, route, status, duration and user id. The id stays in the
request's `X-Request-ID` header, where telemetry puts it on the request's trace
(docs/telemetry.md). `RequestIdFilter` puts
the id on every record logged while the request runs, application lines included.
With DJANGO_LOG_FORMAT=json (production's default) `JsonFormatter` writes each record
as one JSON object, its `extra` fields included.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
logger = logging.getLogger("request")
HEALTH_PATHS = ("/health/", "/health/live/")
PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Attributes every LogRecord has: the rest came from `extra`.
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class OutageFilter(logging.Filter):
    """A database outage answered 503 is logged as one line, without its traceback:
    the dependency failed, not the code."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (OperationalError, InterfaceError)):
            record.msg, record.args = f"{record.getMessage()} ({error})", ()
            record.exc_info = record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **{
                key: value
                for key, value in vars(record).items()
                if key not in STANDARD_ATTRIBUTES and not key.startswith("_")
            },
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def route(request: HttpRequest) -> str:
    """The route the request matched (`api/orders/<int:pk>/`, not the path with its
    ids), the health paths (answered before routing), or one placeholder for paths no
    route matches: a bounded set of values, whatever clients send."""
    if request.resolver_match is not None:
        return request.resolver_match.route
    return request.path_info if request.path_info in HEALTH_PATHS else "(unmatched)"


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        current = sent if PLAUSIBLE_ID.fullmatch(sent) else uuid.uuid4().hex
        request.META["HTTP_X_REQUEST_ID"] = current
        token = request_id.set(current)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = current
            # The user if something loaded it: the log line never queries the database,
            # which may be why the request failed.
            user = getattr(request, "_cached_user", None) or vars(request).get("user")
            if isinstance(user, LazyObject):
                user = None
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            request_id.reset(token)
