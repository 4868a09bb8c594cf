"""Rehearsal: other domains call a domain's services as if it were a remote service.

With MODULITH_REHEARSE = ["inventory"], every crossing into inventory's public
services (`modulith.calls`) is sent over HTTP to MODULITH_REHEARSAL_URL, where the same
project serves it (`modulith.middleware.DomainMiddleware`, which answers
REHEARSAL_PATH only then). The call keeps its signature; its arguments and result
travel as JSON built from the functions' type hints by the events' converter
(cattrs), and an exception defined in the callee's `services` module is raised again
on the caller's side. Each call runs in its own transaction there, as it would in a
service of its own: a caller's `transaction.atomic` no longer undoes it, returned
objects are copies, and a call in a loop is a round trip per turn.

Run the test suite so (`MODULITH_REHEARSE=inventory uv run pytest`, on PostgreSQL):
the pytest plugin (`modulith.rehearsal.pytest_plugin`) serves the project on a live
server and makes database tests transactional, so both sides see committed data.
"""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from modulith.calls import Proceed, ServiceCall, add_layer, remove_layer

REHEARSAL_PATH = "/_modulith/rehearsal/"
SETTING = "MODULITH_REHEARSE"


def rehearsed() -> frozenset[str]:
    """The domains rehearsed as remote services."""
    return frozenset(getattr(settings, SETTING, ()))


def send_when_rehearsed(call: ServiceCall, proceed: Proceed) -> Any:
    """The layer of `modulith.calls`: a crossing into a rehearsed domain goes over HTTP."""
    if call.callee not in rehearsed():
        return proceed()
    from modulith.rehearsal.client import send

    return send(call)


def follow_setting(**kwargs: object) -> None:
    """Add the layer while some domain is rehearsed, remove it otherwise."""
    if kwargs.get("setting", SETTING) != SETTING:
        return
    if rehearsed():
        add_layer(send_when_rehearsed)
    else:
        remove_layer(send_when_rehearsed)


setting_changed.connect(follow_setting, dispatch_uid="modulith_rehearsal")
