"""System checks of the project's own deployment settings (`manage.py check --deploy`)."""

import os
from typing import Any

from django.conf import settings
from django.core import checks

LOOPBACK = frozenset({"127.0.0.1", "::1"})


@checks.register(checks.Tags.security, deploy=True)
def check_proxies_counted(**kwargs: Any) -> list[checks.CheckMessage]:
    """A proxy that gunicorn trusts (FORWARDED_ALLOW_IPS) sends every request: unless
    DJANGO_NUM_PROXIES counts it, every client has its address, and one client's
    failed logins lock everyone out."""
    proxies = {a.strip() for a in os.environ.get("FORWARDED_ALLOW_IPS", "").split(",")}
    if proxies - LOOPBACK - {""} and not settings.REST_FRAMEWORK.get("NUM_PROXIES"):
        return [
            checks.Warning(
                "FORWARDED_ALLOW_IPS names a proxy, but DJANGO_NUM_PROXIES is 0: every "
                "client has the proxy's address for login limits and API rates.",
                hint="Set DJANGO_NUM_PROXIES to the number of proxies in front (1 for one).",
                id="core.W001",
            )
        ]
    return []
