"""The domain owning each request's route: `DomainMiddleware` (last in MIDDLEWARE).

The view's module names the domain (`apps.orders.api.views` -> orders): its code runs
as that domain's (`modulith.calls.current_domain`), the request's span carries it and
the request's duration is recorded under it (`modulith.telemetry`). While a domain is
rehearsed as a remote service it also answers the rehearsal's calls
(`modulith.rehearsal`), before any view, CSRF check or session is involved.
"""

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from modulith import telemetry
from modulith.calls import current_domain, owner_of
from modulith.rehearsal import REHEARSAL_PATH


class DomainMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(REHEARSAL_PATH):
            from modulith.rehearsal.server import serve

            return serve(request)
        token = current_domain.set(None)
        started = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            telemetry.record_request(current_domain.get(), time.perf_counter() - started)
            current_domain.reset(token)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: object, kwargs: object
    ) -> None:
        domain = owner_of(getattr(view, "__module__", "") or "")
        if domain is not None:
            current_domain.set(domain)
            telemetry.mark_request(domain)
