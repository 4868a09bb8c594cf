"""Errors a client or an outage causes, answered as such instead of as 500s.

drf-standardized-errors turns every exception a view raises into its error format;
anything it does not know becomes a 500 with a traceback in the log. These are known:
a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), JSON nested too deep to parse (400),
and a database that cannot be reached or has no free connection in the pool (503,
retry later).
"""

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status


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
        if isinstance(exc, RecursionError):
            return exceptions.ParseError("JSON parse error - nested too deeply.")
        if isinstance(exc, (OperationalError, InterfaceError)):
            return DatabaseUnavailable()
        return super().convert_known_exceptions(exc)
