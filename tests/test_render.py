"""Every answer combination renders to a complete project that passes ruff as rendered."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import RENDERED_FILES, Render
from tests.helpers import SCENARIOS, TWELVE_DOMAINS, run, tool

DOMAIN_FILES = [
    "__init__.py",
    "apps.py",
    "models.py",
    "services.py",
    "events.py",
    "admin.py",
    "api/__init__.py",
    "api/serializers.py",
    "api/views.py",
    "api/urls.py",
    "migrations/__init__.py",
    "migrations/0001_initial.py",
    "tests/__init__.py",
    "tests/test_services.py",
    "tests/test_api.py",
]
# A Jinja variable, block or comment left in the output; GitHub Actions' own
# `${{ expression }}` and Python's `}}` are not.
JINJA_LEFTOVER = re.compile(r"(?<!\$)\{\{ ?[A-Za-z_]|\{%|%\}|\{#")


# The domain scaffold's own templates, which the package renders later (startdomain).
SCAFFOLD_TEMPLATES = Path("template-package/src/modulith/scaffold/domain")


def project_files(project: Path) -> list[Path]:
    """The files Copier rendered into the project, less the scaffold's templates."""
    return [
        path
        for path in RENDERED_FILES[project]
        if not path.relative_to(project).is_relative_to(SCAFFOLD_TEMPLATES)
    ]


@pytest.fixture(params=list(SCENARIOS), scope="module")
def scenario(request: pytest.FixtureRequest, render: Render) -> tuple[dict[str, object], Path]:
    answers = SCENARIOS[request.param]
    return answers, render(answers)


def test_ruff_check_passes_as_rendered(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    run([tool("ruff"), "check", "--no-cache", "."], cwd=project)


def test_ruff_format_check_passes_as_rendered(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    run([tool("ruff"), "format", "--check", "--no-cache", "."], cwd=project)


def test_nothing_is_left_unrendered(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    leftovers = [
        f"{path.relative_to(project)}: {match.group()}"
        for path in project_files(project)
        # The domain scaffold's templates (`*.py-tpl`) are Jinja on purpose: startdomain's.
        if not path.name.endswith("-tpl")
        for match in [JINJA_LEFTOVER.search(path.read_text()) or JINJA_LEFTOVER.search(str(path))]
        if match
    ]
    assert leftovers == []
    assert not [p for p in project_files(project) if p.suffix == ".jinja"]


def test_each_domain_is_a_complete_app(scenario: tuple[dict[str, object], Path]) -> None:
    answers, project = scenario
    domains = answers.get("domains", ["orders", "inventory", "payments", "notifications"])
    accounts = ["accounts"] if answers.get("accounts") else []
    folders = sorted(p.name for p in (project / "apps").iterdir() if p.is_dir())
    assert folders == sorted([*domains, *accounts])
    for domain in domains:
        missing = [f for f in DOMAIN_FILES if not (project / "apps" / domain / f).is_file()]
        assert missing == [], f"apps/{domain} lacks {missing}"
        apps_py = (project / "apps" / domain / "apps.py").read_text()
        assert f'name = "apps.{domain}"' in apps_py
        assert f'label = "{domain}"' in apps_py


def test_answers_file_records_the_answers(scenario: tuple[dict[str, object], Path]) -> None:
    answers, project = scenario
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for question, answer in answers.items():
        assert recorded[question] == answer
    assert "_src_path" in recorded
    assert "model_names" not in recorded, "computed values must not be recorded"


def test_template_infrastructure_stays_out_of_projects(render: Render) -> None:
    project = render({})
    for name in ("copier.yml", "hooks", "tests/test_render.py", "template"):
        assert not (project / name).exists(), f"{name} leaked into the project"


@pytest.mark.parametrize(
    ("domain", "model"),
    [
        ("orders", "Order"),
        ("inventory", "Inventory"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("order_lines", "OrderLine"),
        ("customer_support_tickets", "CustomerSupportTicket"),
    ],
)
def test_starter_model_is_named_after_the_domain(render: Render, domain: str, model: str) -> None:
    models_py = render({"domains": TWELVE_DOMAINS}) / "apps" / domain / "models.py"
    assert f"class {model}(TimeStampedModel):" in models_py.read_text()


def test_python_version_answer_is_recorded(render: Render) -> None:
    for version in ("3.11", "3.12", "3.13"):
        answers = {"python_version": version} if version != "3.13" else {}
        recorded = yaml.safe_load((render(answers) / ".copier-answers.yml").read_text())
        assert recorded["python_version"] == version


def readme_before_updates(project: Path) -> str:
    """The generated README up to "Updating from the template", whose commands are the
    update tests' to check."""
    return (project / "README.md").read_text().split("## Updating from the template")[0]


def documentation(project: Path) -> dict[str, str]:
    """The generated README and each page under docs/ but the module map (which
    `manage.py domain_map` writes): the prose a team reads."""
    pages = {"README.md": (project / "README.md").read_text()}
    for path in sorted((project / "docs").rglob("*.md")):
        if path.name != "architecture.md":
            pages[path.relative_to(project).as_posix()] = path.read_text()
    return pages


def test_readme_repeats_no_sentence(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    for page, text in documentation(project).items():
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", prose) if len(s.strip()) > 20]
        assert (page, sorted({s for s in sentences if sentences.count(s) > 1})) == (page, [])


def test_readme_and_docs_links_reach_files(scenario: tuple[dict[str, object], Path]) -> None:
    _, project = scenario
    missing = [
        (page, target)
        for page, text in documentation(project).items()
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text)
        if not ((project / page).parent / target).exists()
    ]
    assert missing == []


def test_readme_examples_use_the_projects_own_domains(
    scenario: tuple[dict[str, object], Path],
) -> None:
    answers, project = scenario
    domains = answers.get("domains", ["orders", "inventory", "payments", "notifications"])
    pages = documentation(project)
    pages["README.md"] = readme_before_updates(project)
    others = {"orders", "inventory", "payments", "notifications"} - set(domains)
    assert {
        page: sorted(name for name in others if re.search(rf"\b{name}\b", text))
        for page, text in pages.items()
    } == {page: [] for page in pages}
    # The README's layout names the first and the last domain; in the events page the
    # first domain publishes the example event and the last one handles it.
    for text in (pages["README.md"], pages["docs/events-and-tasks.md"]):
        assert f"apps/{domains[0]}/" in text
        assert f"apps/{domains[-1]}/" in text


def test_template_readme_and_docs_links_reach_files() -> None:
    root = Path(__file__).parent.parent
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    missing = [
        (page.relative_to(root).as_posix(), target)
        for page in pages
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", page.read_text())
        if not (page.parent / target).exists()
    ]
    assert len(pages) > 1
    assert missing == []


# Lines of .env.example that show an example value, not the setting's default.
EXAMPLE_VALUES = {"REDIS_URL", "EMAIL_URL", "DJANGO_EMAIL_BACKEND", "DJANGO_DEFAULT_FROM_EMAIL"}
SETTING_DEFAULT = re.compile(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)",\s*default=([^)\n]+)\)')


def test_env_example_shows_each_settings_default(
    scenario: tuple[dict[str, object], Path],
) -> None:
    """A commented `# NAME=value` line of .env.example is the value the settings take
    when NAME is unset (base settings first), wherever that default is a literal."""
    _, project = scenario
    commented = dict(
        re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", (project / ".env.example").read_text(), re.M)
    )
    defaults: dict[str, str] = {}
    for module in ("base", "local", "production"):
        text = (project / "config" / "settings" / f"{module}.py").read_text()
        for name, default in SETTING_DEFAULT.findall(text):
            defaults.setdefault(name, default)
    compared = {}
    for name, shown in commented.items():
        try:
            default = ast.literal_eval(defaults[name])
        except (KeyError, ValueError, SyntaxError):
            continue  # no default, or not a literal (e.g. BASE_DIR / "media")
        if name not in EXAMPLE_VALUES:
            as_text = ",".join(default) if isinstance(default, list) else str(default)
            as_text = "" if default is None else as_text  # unset
            compared[name] = (shown.lower(), as_text.lower().removesuffix(".0"))
    assert len(compared) > 10
    assert {name: pair for name, pair in compared.items() if pair[0] != pair[1]} == {}


def test_a_pages_way_back_to_the_readme_is_its_last_line(
    scenario: tuple[dict[str, object], Path],
) -> None:
    _, project = scenario
    back = "[Back to the README](../README.md)"
    misplaced = [
        page
        for page, text in documentation(project).items()
        if back in text and text.rstrip().splitlines()[-1] != back
    ]
    assert misplaced == []


def test_make_help_fits_80_columns() -> None:
    """`make help` prints each target's `## ` text after two spaces and 15 columns."""
    makefile = (Path(__file__).parent.parent / "template" / "Makefile").read_text()
    texts = re.findall(r"^[a-z-]+:.*## (.*)$", makefile, re.M)

    assert len(texts) > 5
    assert [text for text in texts if 2 + 15 + len(text) > 80] == []
