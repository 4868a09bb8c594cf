"""The API's own endpoints, beside the domains' APIs."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle


class ObtainTokenView(ObtainAuthToken):
    """POST a username and password, get the user's API token (created on first use).

    Programs then send `Authorization: Token <key>` with each request. A token stays
    valid until deleted (admin: Auth Token > Tokens), which signs every program using
    it out. Failed attempts count towards the client's login limit (core/auth.py).
    """

    # DRF's view turns throttling off; anonymous clients keep their rate here too.
    throttle_classes = (AnonRateThrottle,)
