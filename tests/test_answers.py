"""Bad answers are refused with a message naming the bad item and why; nothing is written.

Every message is read in an 80-column terminal: at the prompt, Copier shows only the
first line of a validation error, after "Validation error for question '<name>': ",
in prompt_toolkit's one-row error bar; elsewhere every line is printed.
"""

import importlib.util
from pathlib import Path

import pytest
import yaml
from copier import run_copy

from tests.helpers import COLUMNS, TEMPLATE_ROOT, Terminal, question_help, run, tool


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
    message = str(error.value)
    if message.startswith("Validation error"):
        too_wide = [line for line in message.splitlines() if len(line) > COLUMNS]
        assert too_wide == [], f"lines wider than {COLUMNS} columns"
    return message


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        # The question refuses with the rules of modulith.scaffold.names (unit-tested in
        # tests/package/test_names.py); these show its message reaches the user whole.
        (["orders", "core"], "'core': a reserved name"),
        (
            ["customer_support_tickets_x"],
            "'customer_support…': over 24 characters\n"
            "'customer_support_tickets_x': over 24 characters",
        ),
        ({"orders": 1}, "a YAML list, e.g. [orders, inventory]"),
    ],
)
def test_bad_domain_answer_is_refused(tmp_path: Path, domains: object, message: str) -> None:
    expected = f"Validation error for question 'domains': {message}"
    assert refusal(tmp_path, domains=domains) == expected


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        (
            "[orders, Payments, Admin]",
            "'Payments': use a-z, 0-9, _ (+1 more)\n'Admin': use a-z, 0-9, _",
        ),
        ("orders", "a YAML list, e.g. [orders, inventory]"),
    ],
)
def test_command_line_refuses_a_bad_domain_with_exit_code_1(
    tmp_path: Path, domains: str, message: str
) -> None:
    code, stderr, destination = copy_with_cli(tmp_path, f"domains={domains}")

    assert code == 1
    assert f"Validation error for question 'domains': {message}\n" in stderr
    assert not destination.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_slug": "Acme Shop"}, "'project_slug': like acme-shop: a-z, 0-9, - or _"),
        ({"project_slug": "acme--shop"}, "'project_slug': like acme-shop: a-z, 0-9, - or _"),
        ({"project_slug": "9shop"}, "'project_slug': like acme-shop: a-z, 0-9, - or _"),
        ({"author_email": "nobody"}, "'author_email': use the form name@example.com"),
        ({"project_name": 'The "Best" Shop'}, "'project_name': cannot contain \" or \\"),
        ({"project_name": "   "}, "'project_name': cannot be empty"),
        ({"project_description": "A \\ B"}, "'project_description': cannot contain \" or \\"),
        # Each answer pyproject.toml quotes (its `authors`) is refused what would end
        # or escape its TOML string.
        ({"author_name": 'Jane "JD" Doe'}, "'author_name': cannot contain \" or \\"),
        ({"author_name": "Jane \\ Doe"}, "'author_name': cannot contain \" or \\"),
        ({"author_email": 'a"b@example.com'}, "'author_email': use the form name@example.com"),
        ({"author_email": "a@b\\c.com"}, "'author_email': use the form name@example.com"),
        ({"python_version": "3.9"}, "'3.9' is not in ['3.13', '3.12', '3.11']"),
        (
            {"events_example_subscriber": "orders"},
            "'orders' is not in ['inventory', 'payments', 'notifications']",
        ),
    ],
)
def test_bad_project_answer_is_refused(tmp_path: Path, data: dict[str, str], message: str) -> None:
    assert refusal(tmp_path, **data).endswith(message)


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
    with pytest.raises(ValueError, match="'Inventory': use a-z, 0-9, _"):
        run_copy(
            str(TEMPLATE_ROOT),
            tmp_path / "project",
            data={"domains": ["orders", "Inventory"]},
            defaults=True,
            unsafe=True,
            quiet=True,
        )


def test_every_prompt_reads_whole_in_an_80_column_terminal(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with Terminal(
        [tool("copier"), "copy", "--trust", "--skip-tasks", str(TEMPLATE_ROOT), str(destination)],
        cwd=tmp_path,
    ) as terminal:
        for name, rows in question_help(["orders", "payments"]).items():
            terminal.wait_for(*rows)
            if name != "domains":
                terminal.type("\r")  # the default
                continue
            terminal.type("\x15")  # Ctrl-U: clear the default answer
            terminal.type("[orders, Payments, 2fa, admin, orders]\r")
            error = "Validation error for question 'domains': 'Payments': use a-z, 0-9, _ (+3 more)"
            screen = terminal.wait_for(error)
            (tmp_path / "domains-question.txt").write_text("\n".join(screen) + "\n")
            print("\n".join(screen))  # the screen of the domains question, for the record
            assert terminal.wait_for(*rows) == screen, "the help stays whole above the error"
            terminal.type("\x15[orders, payments]\r")
        assert terminal.finish() == 0, "\n".join(terminal.rows())

    # The post-copy task, skipped here, renders the domains the answers file records.
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers["domains"] == ["orders", "payments"]


def test_a_first_copy_refuses_an_events_subscriber_that_is_no_domain(tmp_path: Path) -> None:
    # The question's choices let it pass, as updates keep a subscriber whose domain was
    # dropped since; the first copy's task refuses it, and Copier removes the project.
    code, stderr, destination = copy_with_cli(tmp_path, "events_example_subscriber=nowhere")

    assert code != 0
    message = [
        "Invalid choice for 'events_example_subscriber': 'nowhere' is not a domain after",
        "the first; choose one of inventory, payments, notifications.",
    ]
    assert "\n".join(message) in stderr
    assert all(len(line) <= COLUMNS for line in message)
    assert not destination.exists()


def test_the_first_copys_refusals_fit_80_columns_with_the_longest_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(TEMPLATE_ROOT / "hooks"))  # its sibling modules
    path = TEMPLATE_ROOT / "hooks" / "post_copy.py"
    spec = importlib.util.spec_from_file_location("post_copy", path)
    assert spec is not None
    assert spec.loader is not None
    post_copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(post_copy)
    longest = [f"domain_{n}_{'x' * 15}" for n in range(6)]  # 24 characters each
    refusal = post_copy.subscriber_refusal(longest, "y" * 24)

    assert refusal is not None
    assert all(domain in refusal for domain in longest[1:])
    # One domain has no example to react to: only the question's default is accepted.
    assert post_copy.subscriber_refusal(["orders"], None) is None
    assert post_copy.subscriber_refusal(["orders"], "orders") is None
    assert post_copy.subscriber_refusal(["orders"], "nowhere") is not None
    lines = [*post_copy.RECOPY_REFUSED.splitlines(), *refusal.splitlines()]
    assert max(map(len, lines)) <= COLUMNS, lines
