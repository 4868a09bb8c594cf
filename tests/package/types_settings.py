"""Settings for type-checking the package (django-stubs sets Django up with them): the
package's own apps only, and no project to discover domains in."""

from pathlib import Path

from tests.package.settings import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent / "no-project"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_q",
    "modulith",
    "modulith.events",
]
