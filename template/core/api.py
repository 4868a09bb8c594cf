"""The API's own endpoints, beside the domains' APIs."""

import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema, generated one request at a time per process: its
    generator is not thread-safe, and gunicorn's workers serve requests in threads
    (concurrent requests answered 500)."""

    generating = threading.Lock()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with self.generating:
            return super().dispatch(request, *args, **kwargs)


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, with the error code it answers wrong credentials with (`authorization`)
    among the codes its schema lists: the 400 body is what the schema says."""

    default_error_messages = {  # noqa: RUF012  (DRF merges these along the class tree)
        "authorization": "Unable to log in with provided credentials.",
    }
    # No account's name is longer (e-mail addresses: 254): a longer one is refused
    # before it reaches the login limits' table.
    username = serializers.CharField(label="Username", write_only=True, max_length=254)


class ObtainTokenView(ObtainAuthToken):
    """POST a username and password, get the user's API token (created on first use).

    Programs then send `Authorization: Token <key>` with each request. A token stays
    valid until deleted (admin: Auth Token > Tokens), which signs every program using
    it out. Failed attempts count towards the client's login limits (core/auth.py);
    a locked-out client gets 429, without its password being checked.
    """

    # DRF's view turns throttling off; anonymous clients keep their rate here too.
    throttle_classes = (AnonRateThrottle,)
    serializer_class = TokenRequestSerializer

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes marks the request it refused, and core.auth logs it.
            if getattr(request, "axes_locked_out", False):
                window = settings.AXES_COOLOFF_TIME.total_seconds()
                raise Throttled(
                    wait=window, detail="Too many failed logins; try again later."
                ) from None
            raise
