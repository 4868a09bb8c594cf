from django.urls import path

from apps.orders.api.views import OrderViewSet

urlpatterns = [path("orders/", OrderViewSet.as_view({"get": "list", "post": "create"}))]
