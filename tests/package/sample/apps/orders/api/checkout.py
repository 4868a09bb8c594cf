"""A checkout endpoint, served on its own URLs by the telemetry and rehearsal tests."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.orders import services


def checkout(request: HttpRequest) -> JsonResponse:
    order = services.place_order(item_id=int(request.GET["item"]), quantity=2)
    return JsonResponse({"order": order})


urlpatterns = [path("checkout/", checkout)]
