import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database responds, 503 when it does not.

    Load balancers, the compose healthcheck and uptime monitors call this endpoint.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check failed: the database did not answer")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    """Answer 200 while the process serves requests, whatever its dependencies say.

    For a restart policy (a liveness probe): a database outage makes `/health/` answer
    503 (take the instance out of the load balancer), but restarting the app cures
    nothing then.
    """
    return JsonResponse({"status": "ok"})
