"""Password checks that a client cannot use to guess passwords, or to load the server.

Every password login (the admin's form, the API's token endpoint) goes through the
backends in AUTHENTICATION_BACKENDS: first django-axes, which refuses a locked-out
client before any password is hashed, then `BoundedModelBackend`, Django's check with
a bound on the hashing work.

django-axes counts failures in the database, so every worker and container shares
them, and locks out (for DJANGO_LOGIN_FAILURE_WINDOW_SECONDS) after
DJANGO_LOGIN_FAILURE_LIMIT failures:

- per address (`ip_address`): one client trying many accounts;
- per account from an address (`username` + `ip_address`): the same account's owner,
  from another address, still logs in with the right password.

The password hasher is slow on purpose (about a third of a second of CPU). Clients
with many addresses stay under every per-address limit, so each process also runs at
most DJANGO_LOGIN_CONCURRENCY checks at once; a login that waits longer than
DJANGO_LOGIN_WAIT_SECONDS for its turn is answered 429 (retry later). Anonymous
clients can keep at most that many CPUs busy, whatever their number.
"""

import logging
import threading
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core.models import User

security_log = logging.getLogger("security")

_hashing = threading.BoundedSemaphore(settings.LOGIN_CONCURRENCY)


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
        return user


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as DRF's throttles see it (X-Forwarded-For only as far as
    DJANGO_NUM_PROXIES trusts it): django-axes counts failures by it."""
    if request is None:
        return None
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]
