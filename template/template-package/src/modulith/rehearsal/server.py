"""The callee's side of a rehearsed crossing: `POST /_modulith/rehearsal/<domain>/<function>`.

Served only while the domain is rehearsed, and only to a request signed with the
project's SECRET_KEY (its callers are this same project): it runs the domain's code.
"""

import importlib
import json
import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from modulith.calls import SERVICES, ServiceCall
from modulith.domains import APPS_PACKAGE
from modulith.rehearsal import REHEARSAL_PATH, rehearsed
from modulith.rehearsal.wire import arguments_from_json, error_to_json, result_to_json

logger = logging.getLogger(__name__)


def signature(path: str, body: bytes) -> str:
    return salted_hmac("modulith.rehearsal", path.encode() + body).hexdigest()


def serve(request: HttpRequest) -> HttpResponse:
    domain, _, name = request.path_info.removeprefix(REHEARSAL_PATH).partition("/")
    if domain not in rehearsed() or not SERVICES.fullmatch(f"{APPS_PACKAGE}.{domain}.services"):
        return HttpResponse(status=404)
    sent = request.headers.get("X-Modulith-Signature", "")
    if request.method != "POST" or not constant_time_compare(
        sent, signature(request.path_info, request.body)
    ):
        return HttpResponse(status=403)
    services = importlib.import_module(f"{APPS_PACKAGE}.{domain}.services")
    wrapper = getattr(services, name, None)
    function = getattr(wrapper, "__wrapped__", None)
    if function is None or getattr(wrapper, "__modulith_service__", None) != domain:
        return HttpResponse(status=404)
    body = json.loads(request.body)
    arguments = arguments_from_json(function, body["arguments"])
    call = ServiceCall(body["caller"], domain, function, kwargs=arguments)
    try:
        with transaction.atomic():  # one call, one transaction: as in a service of its own
            result = call.run_here()
    except Exception as error:
        if type(error).__module__ == services.__name__:
            return JsonResponse(error_to_json(error), status=422)
        logger.exception("Rehearsed service %s.%s failed", domain, name)
        return JsonResponse({"error": f"{type(error).__module__}.{type(error).__qualname__}",
                             "message": str(error)}, status=500)  # fmt: skip
    return JsonResponse({"result": result_to_json(function, result)})
