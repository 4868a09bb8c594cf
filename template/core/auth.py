"""Password checks that a client cannot use to guess passwords, or to load the server.

Every password login (the admin's form, the API's token endpoint) goes through the
backends in AUTHENTICATION_BACKENDS: first `LockoutBackend` (django-axes's), which
refuses a locked-out client before any password is hashed, then
`BoundedModelBackend`, Django's check with a bound on the hashing work.

django-axes counts failures in the database, so every worker and container shares
them, and locks out (for DJANGO_LOGIN_FAILURE_WINDOW_SECONDS) after
DJANGO_LOGIN_FAILURE_LIMIT failures:

- per address (`ip_address`): one client trying many accounts;
- per account from an address (`username` + `ip_address`): the same account's owner,
  from another address, still logs in with the right password.

Guesses at one account from many addresses stop after
DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT failures on it from anywhere, for every client but
the account's own devices (OWASP's device cookies): a password login gives the client
a signed cookie naming the account, and a client presenting it is held to the two
limits above only. An attack on an account does not lock its owner's browsers and
programs out.

The password hasher is slow on purpose (about a third of a second of CPU). Clients
with many addresses stay under every per-address limit, so each process also runs at
most DJANGO_LOGIN_CONCURRENCY checks at once; a login that waits longer than
DJANGO_LOGIN_WAIT_SECONDS for its turn is answered 429 (retry later). Anonymous
clients can keep at most that many CPUs busy, whatever their number.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import toggleable
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core.models import User

security_log = logging.getLogger("security")

_hashing = threading.BoundedSemaphore(settings.LOGIN_CONCURRENCY)

DEVICE_COOKIE = "login_device"
_DEVICE_SALT = "core.auth"


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """django-axes's lockout, then the account's own limit for clients that are not its
    devices."""

    @toggleable  # type: ignore[untyped-decorator]
    def authenticate(
        self,
        request: HttpRequest,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().authenticate(request, username, password, **kwargs)
        if username and not is_device_of(request, username):
            failures = AccessAttempt.objects.filter(
                username=username, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(count=Sum("failures_since_start"))["count"]
            if (failures or 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
                # Read by AxesMiddleware (the admin's 429), core.api and log_locked_out.
                request.axes_locked_out = True  # type: ignore[attr-defined]
                request.login_limit = "account"  # type: ignore[attr-defined]
                ip_address = client_ip(request)
                user_locked_out.send(
                    "axes", request=request, username=username, ip_address=ip_address
                )
                raise AxesBackendPermissionDenied("Too many failed logins on the account")


@receiver(user_locked_out)
def log_locked_out(
    sender: object, request: HttpRequest, username: str | None, **kwargs: object
) -> None:
    """One line per login refused by a limit, and at the failure that reaches one: at
    the admin and the API alike (django-axes sends the signal for both, LockoutBackend
    for the account's limit)."""
    security_log.warning(
        "login_locked_out",
        extra={
            "path": request.path,
            "client_ip": client_ip(request),
            "username": username,
            "limit": getattr(request, "login_limit", "address"),
        },
    )


class BoundedModelBackend(ModelBackend):
    """Django's username and password check, a bounded number at a time per process."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not _hashing.acquire(timeout=settings.LOGIN_WAIT_SECONDS):
            security_log.warning(
                "login_busy", extra={"client_ip": client_ip(request), "username": username}
            )
            raise Throttled(wait=1, detail="Too many logins at once; retry in a moment.")
        try:
            user = super().authenticate(request, username, password, **kwargs)
        finally:
            _hashing.release()
        if user is None:
            security_log.warning(
                "login_failed", extra={"client_ip": client_ip(request), "username": username}
            )
        elif request is not None:
            # On Django's request under DRF's, which DeviceCookieMiddleware sees.
            django_request: HttpRequest = getattr(request, "_request", request)
            django_request.login_device = user.get_username()  # type: ignore[attr-defined]
        return user


def is_device_of(request: HttpRequest, username: str) -> bool:
    """Whether the client holds the device cookie of a password login to `username`."""
    account = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE
    )
    return account == username


class DeviceCookieMiddleware:
    """Gives a client that logged in with a password the device cookie of its account
    (HttpOnly, Secure wherever the session cookie is)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        account = getattr(request, "login_device", None)
        if account is not None:
            response.set_signed_cookie(
                DEVICE_COOKIE,
                account,
                salt=_DEVICE_SALT,
                max_age=settings.LOGIN_DEVICE_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as DRF's throttles see it (X-Forwarded-For only as far as
    DJANGO_NUM_PROXIES trusts it): django-axes counts failures by it."""
    if request is None:
        return None
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]
