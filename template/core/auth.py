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

An account is named as the login names it (username, or e-mail address where
allauth's login is on), in one case and without surrounding spaces (`login_name`), so
variants of a name share its counts. A successful login clears that account's
failures from its address only: one's own logins do not clear guesses at others.

Guesses at one account from many addresses stop after
DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT failures on it from anywhere, for every client but
the account's own devices (OWASP's device cookies): a password login gives the client
a signed cookie naming the account and its password (a new password revokes it), and a
client presenting it is held to the two limits above only. An attack on an account
does not lock its owner's browsers and programs out.

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
        name = login_name(request, {"username": username, **kwargs})
        if name and not is_device_of(request, name):
            failures = AccessAttempt.objects.filter(
                username=name, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(count=Sum("failures_since_start"))["count"]
            if (failures or 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
                # Read by AxesMiddleware (the admin's 429), core.api and log_locked_out.
                request.axes_locked_out = True  # type: ignore[attr-defined]
                request.login_limit = "account"  # type: ignore[attr-defined]
                ip_address = client_ip(request)
                user_locked_out.send("axes", request=request, username=name, ip_address=ip_address)
                raise AxesBackendPermissionDenied("Too many failed logins on the account")


@receiver(user_locked_out)
def log_locked_out(
    sender: object, request: HttpRequest, username: str | None, **kwargs: object
) -> None:
    """One line per login refused by a limit, and at the failure that reaches one: at
    the admin and the API alike (django-axes sends the signal for both, LockoutBackend
    for the account's limit)."""
    limit = getattr(request, "login_limit", "address")
    log_once(request, "login_locked_out", username, path=request.path, limit=limit)


def log_once(request: HttpRequest | None, event: str, username: str | None, **extra: Any) -> None:
    """Log a security event by name, once per request however many backends see it."""
    logged: set[str] = getattr(request, "security_events", set())
    if event in logged:
        return
    if request is not None:
        request.security_events = logged | {event}  # type: ignore[attr-defined]
    extra.update(client_ip=client_ip(request), username=username)
    security_log.warning(event, extra=extra)


class BoundedModelBackend(ModelBackend):
    """Django's username and password check, a bounded number at a time per process.

    A backend that checks passwords another way (allauth's, by e-mail address) comes
    first in its subclasses' bases and gets the same bound."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if self.has_nothing_to_check(username, kwargs):
            return None
        name = login_name(request, {"username": username, **kwargs})
        if not _hashing.acquire(timeout=settings.LOGIN_WAIT_SECONDS):
            log_once(request, "login_busy", name)
            raise Throttled(wait=1, detail="Too many logins at once; retry in a moment.")
        try:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        finally:
            _hashing.release()
        if user is None:
            log_once(request, "login_failed", name)
        elif request is not None:
            AccessAttempt.objects.filter(username=name, ip_address=client_ip(request)).delete()
            # On Django's request under DRF's, which DeviceCookieMiddleware sees.
            django_request: HttpRequest = getattr(request, "_request", request)
            django_request.login_device = device_of(user)  # type: ignore[attr-defined]
        return user

    def has_nothing_to_check(self, username: str | None, credentials: dict[str, Any]) -> bool:
        """Whether these credentials name no account this backend checks: Django's
        check needs a username."""
        return username is None and credentials.get(User.USERNAME_FIELD) is None


def login_name(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account a login names, as the limits count it: its username or e-mail
    address, in one case and without surrounding spaces (AXES_USERNAME_CALLABLE)."""
    if credentials is None:  # django-axes asking of a request: the admin's form
        credentials = getattr(request, "POST", None) or {}
    name = credentials.get("username") or credentials.get("email")
    return name.strip().casefold() or None if isinstance(name, str) else None


def device_of(user: User) -> str:
    """The device cookie's value for a login to `user`: its id and a digest of its
    password, so that a new password revokes every device cookie."""
    return f"{user.pk}:{user.get_session_auth_hash()}"


def is_device_of(request: HttpRequest, name: str) -> bool:
    """Whether the client holds the device cookie of a password login to the account
    `name` (login_name's), with the password it has now."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE
    )
    pk, _, _ = (value or "").partition(":")
    user = User.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if user is None or value != device_of(user):
        return False
    names = {"username": user.get_username()}, {"email": user.email}
    return name in {login_name(None, credentials) for credentials in names}


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
