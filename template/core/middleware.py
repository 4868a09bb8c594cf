"""Middleware that must run before Django's own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.views import health

HEALTH_PATH = "/health/"


class HealthCheckMiddleware:
    """Answer `/health/` before host validation, HTTPS redirects and sessions.

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
        return self.get_response(request)
