"""Password checks that a client cannot use to guess passwords, or to load the server.

Every password login (the admin's form, the API's token endpoint) goes through
`ThrottledModelBackend`. After LOGIN_FAILURE_LIMIT failures from one client address
within LOGIN_FAILURE_WINDOW_SECONDS, its logins are refused until the window has
passed, without running the password hasher (deliberately slow) at all. Failures are
counted in Django's cache: shared by every process when the cache is Redis, per
process otherwise. Written here because a backend of a dozen lines covers both login
paths, where django-axes would add its own tables, middleware and DRF adapter.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from core.models import User


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, refused to a client that keeps failing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        key = failure_key(request)
        if key and cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied("too many failed logins from this address")
        user = super().authenticate(request, username, password, **kwargs)
        if user is None and key:
            record_failure(key)
        return user


def record_failure(key: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:  # expired since `add` found it
            cache.set(key, 1, window)


def failure_key(request: HttpRequest | None) -> str | None:
    """Cache key of the client's failures: its address as DRF's throttles see it
    (X-Forwarded-For only as far as DJANGO_NUM_PROXIES trusts it)."""
    if request is None:
        return None
    return f"login-failures:{BaseThrottle().get_ident(request)}"  # type: ignore[arg-type]
