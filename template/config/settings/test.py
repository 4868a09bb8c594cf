"""The pytest suite: fast password hashing, a fixed key, same database rules as base."""

from config.settings.base import *  # noqa: F403

SECRET_KEY = "django-insecure-test-only"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the apps' folders: tests run without `collectstatic`.
WHITENOISE_AUTOREFRESH = True
