"""Development on your machine: debug on, a throwaway secret key, plain HTTP, open API docs."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
API_DOCS_PUBLIC = env.bool("DJANGO_API_DOCS_PUBLIC", default=True)
