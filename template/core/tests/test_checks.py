import pytest
from django.core import checks
from pytest_django import Settings


@pytest.mark.parametrize(
    ("proxies", "num_proxies", "warned"),
    [
        ("10.0.0.2", 0, True),
        ("10.0.0.2", 1, False),
        ("127.0.0.1,::1", 0, False),
        ("", 0, False),
    ],
)
def test_a_trusted_proxy_must_be_counted(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    proxies: str,
    num_proxies: int,
    warned: bool,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", proxies)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}

    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])

    assert ("core.W001" in {message.id for message in found}) is warned
