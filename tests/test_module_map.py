"""The generated module map: each fresh project's docs/architecture.md is current.

How the map follows a change (`--check` failing until it is written again, baselined
crossings, each canvas) is unit-tested on the package (tests/package/test_architecture.py).

The graph in docs/architecture.md is read back with Mermaid's own parser (the npm
package GitHub and GitLab draw with, run by node) and compared with the dependencies
the test finds in the project's files by itself: `depends_on` and `model_relations_to`
in each `apps.py`, and the events modules each `handlers.py` imports.
"""

import ast
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import SCENARIOS, TEMPLATE_ROOT, project_env, run

pytestmark = pytest.mark.project

MERMAID_PACKAGES = ["mermaid@11.17.2", "jsdom@25.0.1"]
# How the map draws each kind of edge: its label and Mermaid's name for the stroke.
STROKES = {"depends on": "normal", "listens to": "dotted", "models": "thick"}
DECLARATIONS = {"depends_on": "depends on", "model_relations_to": "models"}
# The answer sets whose fresh map is checked: domain lists, events example, tasks.
FRESH = ["defaults", "one-domain", "twelve-domains", "no-worker", "long-names"]

Edges = set[tuple[str, str, str]]


@pytest.fixture(scope="session")
def mermaid() -> Callable[..., dict[str, list[dict[str, list[dict[str, str]]]]]]:
    """Parse the Mermaid blocks of Markdown files; node and npm install Mermaid once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run Mermaid's parser")
    prefix = TEMPLATE_ROOT / "build" / "mermaid"
    modules = prefix / "node_modules"
    if not all((modules / p.split("@")[0] / "package.json").is_file() for p in MERMAID_PACKAGES):
        run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             *MERMAID_PACKAGES], cwd=TEMPLATE_ROOT)  # fmt: skip
    script = TEMPLATE_ROOT / "tests" / "tools" / "mermaid_graph.mjs"

    def parse(*files: Path) -> dict[str, list[dict[str, list[dict[str, str]]]]]:
        output = run(["node", str(script), str(modules), *map(str, files)], cwd=TEMPLATE_ROOT)
        return dict(json.loads(output.stdout))

    return parse


def declared_and_discovered(project: Path) -> Edges:
    """The dependencies as the project's files state them, found without its code."""
    edges = set()
    for apps_py in (project / "apps").glob("*/apps.py"):
        for node in ast.walk(ast.parse(apps_py.read_text())):
            if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) in DECLARATIONS:
                label = DECLARATIONS[ast.unparse(node.target)]
                assert node.value is not None
                edges |= {(apps_py.parent.name, t, label) for t in ast.literal_eval(node.value)}
    for handlers in (project / "apps").glob("*/handlers.py"):
        publishers = re.findall(r"^from apps\.(\w+)\.events import", handlers.read_text(), re.M)
        edges |= {(handlers.parent.name, publisher, "listens to") for publisher in publishers}
    return edges


def drawn(graph: dict[str, list[dict[str, str]]]) -> tuple[set[str], Edges]:
    """The node labels and the edges of a parsed graph, each edge's stroke checked."""
    for edge in graph["edges"]:
        assert edge["stroke"] == STROKES[edge["label"]], edge
    edges = {(e["from"], e["to"], e["label"]) for e in graph["edges"]}
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    return set(labels.values()), {(labels[a], labels[b], label) for a, b, label in edges}


def domain_map(project: Path, python: Path, *args: str) -> tuple[int, str]:
    result = run([str(python), "manage.py", "domain_map", *args], cwd=project,
                 env=project_env(), check=False)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_generated_maps_are_current_and_draw_the_declared_graph(
    render: Render, install: Callable[[Path], Path], mermaid: Callable[..., dict]
) -> None:
    # Every answer set here needs the same packages: the default environment runs them all.
    python = install(render({})) / ".venv" / "bin" / "python"
    projects = {name: render(SCENARIOS[name]) for name in FRESH}

    for name, project in projects.items():
        code, output = domain_map(project, python, "--check")
        assert code == 0, f"{name}: the generated docs/architecture.md is stale:\n{output}"
    graphs = mermaid(*(project / "docs" / "architecture.md" for project in projects.values()))

    for name, project in projects.items():
        (graph,) = graphs[str(project / "docs" / "architecture.md")]
        domains, edges = drawn(graph)
        assert domains == {p.name for p in (project / "apps").iterdir() if p.is_dir()}, name
        assert edges == declared_and_discovered(project), name
        assert edges or name == "one-domain", f"{name}: the events example must be drawn"
        text = (project / "docs" / "architecture.md").read_text()
        for domain in domains:  # each canvas ends with its domain's extraction report
            assert f"- **Extraction**: `python manage.py extraction_report {domain}`\n" in text
