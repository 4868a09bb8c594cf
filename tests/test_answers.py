"""Bad answers are refused with a message naming the bad item and why; nothing is written."""

import re
from pathlib import Path

import pexpect
import pytest
import yaml
from copier import run_copy

from tests.helpers import TEMPLATE_ROOT, project_env, run, tool

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def copy_with_cli(tmp_path: Path, *data: str) -> tuple[int, str, Path]:
    """Run `copier copy --defaults --data …` as a user would; return exit code, stderr, dest."""
    destination = tmp_path / "project"
    args = [tool("copier"), "copy", "--trust", "--defaults", "--quiet"]
    for item in data:
        args += ["--data", item]
    result = run([*args, str(TEMPLATE_ROOT), str(destination)], cwd=tmp_path, check=False)
    return result.returncode, result.stderr, destination


def refusal(tmp_path: Path, **data: object) -> str:
    """The error Copier raises for these answers (what the CLI prints), checking nothing is written.

    In-process through Copier's API: the CLI would cost 1.5 s of imports per case.
    """
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"Validation error for question|Invalid choice") as error:
        run_copy(str(TEMPLATE_ROOT), destination, data=data, defaults=True, unsafe=True, quiet=True)
    assert not destination.exists(), "a refused answer must not leave a half-made project"
    return str(error.value)


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        (["Orders"], "'Orders' is not a lowercase Python identifier"),
        (["orders", "2fa"], "'2fa' is not a lowercase Python identifier"),
        (["order-lines"], "'order-lines' is not a lowercase Python identifier"),
        (["_private"], "'_private' is not a lowercase Python identifier"),
        (["class"], "'class' is a Python keyword"),
        (["import", "orders"], "'import' is a Python keyword"),
        (["auth"], "'auth' clashes with a Django or project package"),
        (["orders", "core"], "'core' clashes with a Django or project package"),
        (["config"], "'config' clashes with a Django or project package"),
        (["tests"], "'tests' clashes with a Django or project package"),
        (["orders", "payments", "orders"], "'orders' is listed more than once"),
        (["customer_support_tickets_x"], "'customer_support_tickets_x' is longer than 24"),
        ([], "domains must name at least one domain"),
        ("orders", "domains must be a YAML list of names"),
        ({"orders": 1}, "domains must be a YAML list of names"),
        ([42], "'42' is not a name"),
    ],
)
def test_bad_domain_answer_is_refused(tmp_path: Path, domains: object, message: str) -> None:
    assert f"Validation error for question 'domains': {message}" in refusal(
        tmp_path, domains=domains
    )


def test_every_bad_domain_is_named_at_once(tmp_path: Path) -> None:
    message = refusal(tmp_path, domains=["Orders", "ok", "admin"])

    assert "'Orders' is not a lowercase Python identifier" in message
    assert "'admin' clashes with a Django or project package" in message
    assert "'ok'" not in message


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        ("[orders, Payments]", "'Payments' is not a lowercase Python identifier"),
        ("orders", "domains must be a YAML list of names"),
    ],
)
def test_command_line_refuses_a_bad_domain_with_exit_code_1(
    tmp_path: Path, domains: str, message: str
) -> None:
    code, stderr, destination = copy_with_cli(tmp_path, f"domains={domains}")

    assert code == 1
    assert f"Validation error for question 'domains': {message}" in stderr
    assert not destination.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_slug": "Acme Shop"}, "'Acme Shop' is not a valid package name"),
        ({"project_slug": "acme--shop"}, "'acme--shop' is not a valid package name"),
        ({"project_slug": "9shop"}, "'9shop' is not a valid package name"),
        ({"author_email": "nobody"}, "'nobody' does not look like an e-mail address"),
        ({"project_name": 'The "Best" Shop'}, "The project name cannot contain"),
        ({"project_name": "   "}, "The project name cannot be empty"),
        ({"project_description": "A \\ B"}, "The description cannot contain"),
        ({"python_version": "3.9"}, "'3.9' is not in ['3.13', '3.12', '3.11']"),
        (
            {"events_example_subscriber": "orders"},
            "'orders' is not one of the other domains: pick one of inventory, payments,",
        ),
    ],
)
def test_bad_project_answer_is_refused(tmp_path: Path, data: dict[str, str], message: str) -> None:
    assert message in refusal(tmp_path, **data)


def test_slug_is_derived_from_the_project_name(tmp_path: Path) -> None:
    run_copy(
        str(TEMPLATE_ROOT),
        tmp_path,
        data={"project_name": "  Acme's Shop & Co. "},
        defaults=True,
        unsafe=True,
        quiet=True,
    )

    answers = yaml.safe_load((tmp_path / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "acme-s-shop-co"
    assert 'name = "acme-s-shop-co"' in (tmp_path / "pyproject.toml").read_text()


def test_copier_api_raises_on_a_bad_domain(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'Inventory' is not a lowercase Python identifier"):
        run_copy(
            str(TEMPLATE_ROOT),
            tmp_path / "project",
            data={"domains": ["orders", "Inventory"]},
            defaults=True,
            unsafe=True,
            quiet=True,
        )


def test_interactive_prompt_explains_a_bad_domain_and_asks_again(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    child = pexpect.spawn(
        tool("copier"),
        ["copy", "--trust", str(TEMPLATE_ROOT), str(destination)],
        cwd=str(tmp_path),
        env=project_env(),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 250),
    )
    for question_help in ("Human-readable name", "Distribution name", "One sentence"):
        child.expect(question_help)
        child.sendline("")
    for question_help in ("Your name", "Contact e-mail"):
        child.expect(question_help)
        child.sendline("")
    child.expect("Business domains")
    child.send("\x15")  # Ctrl-U: clear the default answer
    child.send("[orders, Payments]\r")
    child.expect("'Payments' is not a lowercase Python identifier")

    child.send("\x15")
    child.send("[orders, payments]\r")
    child.expect("which domain reacts")
    child.send("\r")
    for question_help in ("Python version", "Where the CI pipeline runs", "Background worker",
                          "Add Redis"):  # fmt: skip
        child.expect(question_help)
        child.send("\r")
    child.expect(pexpect.EOF, timeout=60)
    child.close()

    assert child.exitstatus == 0, ANSI_ESCAPE.sub("", child.before or "")
    assert sorted(p.name for p in (destination / "apps").iterdir() if p.is_dir()) == [
        "orders",
        "payments",
    ]
