"""Middleware that must run before Django's own, and the answer to a database outage."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import Throttled

from core.exceptions import error_response
from core.views import health, liveness

HEALTH_PATH = "/health/"
LIVENESS_PATH = "/health/live/"

logger = logging.getLogger(__name__)


class HealthCheckMiddleware:
    """Answer `/health/` and `/health/live/` before host validation, HTTPS redirects and
    sessions.

    Container healthchecks and load balancers call the app by its IP address, over
    plain HTTP, with no Host header the site answers to: behind this middleware they
    get the health answer whatever DJANGO_ALLOWED_HOSTS and SECURE_SSL_REDIRECT say.
    Every other path goes through the full middleware stack.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH:
            return health(request)
        if request.path_info == LIVENESS_PATH:
            return liveness(request)
        return self.get_response(request)


class ClientRequestMiddleware:
    """Answer a client's own errors before any work, and read the request's body before
    anything touches the database.

    A Host the site does not serve (DJANGO_ALLOWED_HOSTS), a form with more fields or
    files than DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES, or a malformed multipart body is
    answered 400, and a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) 413 before it is
    read, each logged as one warning.

    The session, the user and an API token are read from the database, and a request
    keeps its pooled connection until it ends: a client sending its body a byte every
    few seconds would hold a connection for as long as it likes, and 20 of them empty a
    worker's pool. Read first, a slow body costs a thread (gunicorn.conf.py), never a
    connection. A form POST is parsed as Django would parse it later (fields in memory,
    within the 2.5 MB; files spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE, as large
    as before) and DRF takes the parsed form; other bodies are read into memory, within
    the 2.5 MB (files sent other than by POST included).
    """

    FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
            if request.method == "POST" and request.content_type in self.FORMS:
                request.POST  # noqa: B018  (parses the form)
            else:
                request.body  # noqa: B018  (reads the body, within the bound)
        except RequestDataTooBig:
            logger.warning("request refused: %s %s: body too large", request.method, request.path)
            return error_response(request, 413, "request_too_large", "Request body too large.")
        except (SuspiciousOperation, MultiPartParserError, UnreadablePostError) as error:
            logger.warning("request refused: %s %s: %s", request.method, request.path, error)
            return error_response(request, 400, "parse_error", "Malformed request.")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answer 429 to a login outside the API that waited too long for the password
    hasher, and keep the session cookie of a request answered 503 (a database outage,
    core/exceptions.py): the session could not be read, and that logs nobody out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 503:
            response.cookies.pop(settings.SESSION_COOKIE_NAME, None)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Throttled):  # outside DRF's views: the admin's login
            busy = JsonResponse({"detail": exception.detail}, status=429)
            busy["Retry-After"] = "1"
            return busy
        return None


class SecurityHeadersMiddleware:
    """Headers every response carries, `/health/` included (answered before Django's
    SecurityMiddleware runs), and the Content-Security-Policy Django 5.2 lacks.

    The policy (DJANGO_CONTENT_SECURITY_POLICY) allows the site's own scripts, styles
    and images only: the admin and Swagger UI (served from this site, with no inline
    script) work under it, and an injected `<script>` does not run.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            if value and name not in response:
                response[name] = value
        return response
