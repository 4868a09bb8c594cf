from django.contrib.auth.models import AbstractUser
from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base that records when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """The project's user model, in place from the first migration.

    Django recommends a custom user model even when it adds nothing yet: switching
    later means rewriting migrations. Add profile fields here when you need them.
    """
