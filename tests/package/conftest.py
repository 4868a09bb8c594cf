"""The package's unit tests: Django configured with `settings.py`, for this folder only.

The template's other tests render projects with Copier and run them in subprocesses:
the settings are configured in this process only (no DJANGO_SETTINGS_MODULE in the
environment those subprocesses inherit), and only once pytest collects this folder.
"""

import sys
from pathlib import Path

import django
from django.conf import settings

from tests.package import settings as package_settings

SAMPLE = Path(__file__).resolve().parent / "sample"
collect_ignore = ["sample"]

if not settings.configured:
    sys.path.insert(0, str(SAMPLE))
    settings.configure(
        **{
            name: getattr(package_settings, name)
            for name in dir(package_settings)
            if name.isupper()
        }
    )
    django.setup()
