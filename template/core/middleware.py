"""Middleware that must run before Django's own, and the answer to a database outage."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
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


class RequestBodyMiddleware:
    """Read the request's body before anything touches the database.

    The session, the user and an API token are read from the database, and a request
    keeps its pooled connection until it ends: a client sending its body a byte every
    few seconds would hold a connection for as long as it likes, and 20 of them empty a
    worker's pool. Read first, a slow body costs a thread (gunicorn.conf.py), never a
    connection. Within bounds: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is
    answered 413 before it is read; a form POST is parsed as Django would parse it
    later (fields in memory, within that bound; files spooled to disk past
    FILE_UPLOAD_MAX_MEMORY_SIZE, as large as before) and DRF takes the parsed form.
    Files sent other than by POST count towards the 2.5 MB.
    """

    FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method == "POST" and request.content_type in self.FORMS:
                request.POST  # noqa: B018  (parses the form)
            else:
                request.body  # noqa: B018  (reads the body, within the bound)
        except RequestDataTooBig:
            return error_response(request, 413, "request_too_large", "Request body too large.")
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
