"""The project's architecture holds: its boundaries, and its module map is current.

The machinery behind both (template-package/) is tested in the template's own
repository; these tests check this project's code with it.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from modulith.boundaries import cli


def test_the_domain_boundaries_hold() -> None:
    report = io.StringIO()

    failed = cli.check(root=settings.BASE_DIR, use_cache=False, out=report)

    assert not failed, report.getvalue()


@pytest.mark.django_db
def test_the_module_map_is_current() -> None:
    call_command("domain_map", "--check", stdout=io.StringIO())
