"""API tokens, looked up in the database once in a while instead of on every request.

DRF's TokenAuthentication reads the token and its user on every request: a join and
two model instances, for the same answer each time, and a good part of a short API
request's time. `CachedTokenAuthentication` keeps the answer in the cache for
API_TOKEN_CACHE_SECONDS, under a hash of the key (the key itself is never a cache
key), and drops it as soon as the token is deleted or its user saved (deactivated,
made staff or not). With the Redis cache every process sees that at once; with a
cache in each process's memory (no Redis), the other processes keep their copy until
it expires: a deleted token or a deactivated user is refused everywhere within
API_TOKEN_CACHE_SECONDS. Changes that send no signal (`QuerySet.update()`) wait for
the expiry too. 0 turns the cache off.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.models import User


def cache_key(key: str) -> str:
    return "api-token:" + hashlib.sha256(key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, with the token and its user cached."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        token: Token | None = cache.get(cache_key(key))
        if token is None:
            # DRF's lookup and checks: a missing token or an inactive user is refused,
            # and a refusal is never cached.
            token = super().authenticate_credentials(key)[1]
            cache.set(cache_key(key), token, settings.API_TOKEN_CACHE_SECONDS)
        return token.user, token


@receiver(post_delete, sender=Token)
@receiver(post_save, sender=Token)
def forget_token(instance: Token, **kwargs: Any) -> None:
    cache.delete(cache_key(instance.key))


@receiver(post_save, sender=User)
def forget_users_tokens(instance: User, **kwargs: Any) -> None:
    keys = Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)
    cache.delete_many([cache_key(key) for key in keys])
