"""The caller's side of a rehearsed crossing: one HTTP POST per call."""

import importlib
import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from modulith.calls import ServiceCall
from modulith.domains import APPS_PACKAGE
from modulith.rehearsal import REHEARSAL_PATH
from modulith.rehearsal.server import signature
from modulith.rehearsal.wire import arguments_to_json, error_from_json, result_from_json


class RemoteServiceError(RuntimeError):
    """The rehearsed service failed with an error its domain does not define."""


def send(call: ServiceCall) -> Any:
    """Call the service at MODULITH_REHEARSAL_URL, with the same arguments and result."""
    path = f"{REHEARSAL_PATH}{call.callee}/{call.name}"
    arguments = arguments_to_json(call.function, call.args, call.kwargs)
    body = json.dumps({"caller": call.caller, "arguments": arguments}).encode()
    base_url = str(getattr(settings, "MODULITH_REHEARSAL_URL", "http://127.0.0.1:8000"))
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"MODULITH_REHEARSAL_URL must be an http(s) URL, not {base_url!r}")
    headers = {"Content-Type": "application/json", "X-Modulith-Signature": signature(path, body)}
    request = urllib.request.Request(  # noqa: S310 (checked above: http or https)
        base_url.rstrip("/") + path, data=body, method="POST", headers=headers
    )
    timeout = getattr(settings, "MODULITH_REHEARSAL_TIMEOUT", 30)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the setting's URL)
            return result_from_json(call.function, json.loads(response.read())["result"])
    except urllib.error.HTTPError as failure:
        answer = json.loads(failure.read() or b"{}")
    services = importlib.import_module(f"{APPS_PACKAGE}.{call.callee}.services")
    error = error_from_json(services, answer)
    if error is not None:
        raise error
    raise RemoteServiceError(f"{call.callee}.{call.name} failed remotely: {answer}")
