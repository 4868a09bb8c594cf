from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response


class OrderViewSet(viewsets.ViewSet):
    def list(self, request: Request) -> Response:
        return Response([])

    def create(self, request: Request) -> Response:
        return Response({})
