"""Django settings for the package's unit tests, over the sample project in `sample/`.

SQLite by default. With MODULITH_TEST_DATABASE set to a PostgreSQL URL, that server
is used instead, under a database name of its own (pytest-django creates `test_<name>`
and drops it afterwards), so runs never share a database.
"""

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext

# As the generated project's settings do: modulith.events.admin subscripts ModelAdmin.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent / "sample"
SECRET_KEY = "package-tests-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "config.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_q",
    "core",
    "modulith",
    "modulith.events",
    "apps.billing",
    "apps.inventory",
    "apps.orders",
]
MIDDLEWARE: list[str] = []
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.request",
            ]
        },
    }
]


def database(url: str | None) -> dict[str, object]:
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": f"modulith_{uuid.uuid4().hex[:12]}",
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": parts.port or 5432,
    }


DATABASES = {"default": database(os.environ.get("MODULITH_TEST_DATABASE"))}

MODULITH_WORKER = "none"
Q_CLUSTER = {"name": "package-tests", "orm": "default", "sync": True, "timeout": 60, "retry": 120}
EVENTS_RETRY_SECONDS = 10
EVENTS_RETRY_MAX_SECONDS = 3600
EVENTS_MAX_ATTEMPTS = 10
EVENTS_SWEEP_BATCH_SIZE = 500
EVENTS_CLAIM_SECONDS = 1800
EVENTS_KEEP_COMPLETED_DAYS = 7
