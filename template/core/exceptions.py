"""Errors a client or an outage causes, answered as such instead of as 500s.

drf-standardized-errors turns every exception a view raises into its error format;
anything it does not know becomes a 500 with a traceback in the log. These are known:
a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), JSON nested too deep to parse (400),
too many fields in a query string or form (400), and a database that cannot be
reached or has no free connection in the pool (503, retry later).

Outside DRF's views (a session or user loaded by a middleware, the admin's pages),
Django answers an exception with its 500 handler: `server_error` (config/urls.py's
`handler500`) answers a database outage 503 there too, every other error 500.
"""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status

# What a database that is down, hung (DJANGO_DB_CONNECT_TIMEOUT, statement timeout) or
# out of pooled connections raises: the server's dependency failing, not a bug.
OUTAGES = (OperationalError, InterfaceError)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry later."
    default_code = "service_unavailable"
    # Seconds to wait before retrying, sent as Retry-After (outside the API's views too:
    # core/middleware.py).
    wait = 5


class ClientAwareExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        if isinstance(exc, SuspiciousOperation):  # too many fields in a query string or form
            return exceptions.ParseError(str(exc))
        if isinstance(exc, RecursionError):
            return exceptions.ParseError("JSON parse error - nested too deeply.")
        if isinstance(exc, OUTAGES):
            return DatabaseUnavailable()
        return super().convert_known_exceptions(exc)


def error_response(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    """The API's error format, or a short page on the admin's pages (HTML)."""
    if request.path.startswith(f"/{settings.ADMIN_URL}"):
        page = f"<!doctype html><title>{detail}</title><h1>{detail}</h1>"
        return HttpResponse(page, status=status)
    kind = "server_error" if status >= 500 else "client_error"
    body = {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}
    return JsonResponse(body, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: 503 with Retry-After for a database outage, else 500."""
    if isinstance(sys.exc_info()[1], OUTAGES):
        response = error_response(
            request, 503, DatabaseUnavailable.default_code, str(DatabaseUnavailable.default_detail)
        )
        response["Retry-After"] = str(DatabaseUnavailable.wait)
        return response
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: a path no route matches, in the API's error format."""
    return error_response(request, 404, "not_found", "Not found.")
