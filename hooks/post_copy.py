"""Run by Copier after the first `copier copy` (never on update), in the new project.

    post_copy.py DESTINATION_AS_TYPED TEMPLATE_AS_TYPED ANSWERS_JSON

ANSWERS_JSON holds the domains, the worker, the events example's subscriber, whether
to add the accounts domain, and
whether the destination already held a generated project (`copier recopy`, or a copy
over a project): Copier rendered nothing there, and this refuses it.

Each step is idempotent, works outside a git repository, and only creates what is
missing, so running it twice changes nothing.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from git_repository import inside_git_work_tree


def say(text: str) -> None:
    """Report on stderr, beside Copier's own messages, so that stdout stays the caller's."""
    print(text, file=sys.stderr)


RECOPY_REFUSED = """\
This folder already holds a project generated from this template: Copier
rendered nothing, so none of the team's files changed. `copier recopy` (or a
copy over a project) would overwrite every file the template renders with a
fresh one, dropping the team's edits. Use `copier update`, which merges them
(the project's README: Updating from the template)."""


def subscriber_refusal(domains: list[str], subscriber: str | None) -> str | None:
    """Why the events example cannot have this subscriber, if it cannot. The question's
    choices refuse the first domain; they let pass a name that is no domain, since an
    update keeps a subscriber whose domain was dropped since. A first copy cannot."""
    if subscriber in domains[1:]:
        return None
    if len(domains) < 2 and subscriber in (None, *domains):  # the question's default
        return None
    choices = ", ".join(domains[1:])
    what = f"choose one of {choices}" if choices else "one domain has no example to react to"
    return textwrap.fill(
        f"Invalid choice for 'events_example_subscriber': {subscriber!r} is not a domain "
        f"after the first; {what}.",
        width=80,
    )


def init_git() -> None:
    """`copier update` needs a git repository to compare against."""
    if shutil.which("git") is None:
        say("git not found: run `git init` yourself; `copier update` needs a repository.")
    elif not inside_git_work_tree():
        subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], check=True)
        say("Initialised a git repository.")


def create_env_file() -> None:
    """`.env` from `.env.example`, with a random secret key instead of the placeholder."""
    env_file, example = Path(".env"), Path(".env.example")
    if env_file.exists() or not example.exists():
        return
    key = secrets.token_urlsafe(50)
    text = re.sub(r"(?m)^DJANGO_SECRET_KEY=.*$", f"DJANGO_SECRET_KEY={key}", example.read_text())
    env_file.write_text(text)
    say("Created .env with a random DJANGO_SECRET_KEY (git ignores it).")


def lock_dependencies() -> None:
    """uv.lock, which CI (`uv sync --locked`) and the Dockerfile install from."""
    if Path("uv.lock").exists():
        return
    if shutil.which("uv") is None:
        say("uv not found: run `uv lock` and commit uv.lock before CI or `docker build`.")
        return
    result = subprocess.run(["uv", "lock", "--quiet"], capture_output=True, text=True)
    if result.returncode == 0:
        say("Locked dependencies in uv.lock.")
    else:
        say(f"`uv lock` failed; run it again later:\n{result.stderr}")


def template_directory(destination: str, template: str) -> Path | None:
    """The local template a relative `template` path named, or None.

    Copier records the template path as typed and resolves it against the working
    directory of each later command, so `copier copy ../tmpl shop` cannot be updated
    from inside `shop`. Copier runs this task inside the project, so the directory the
    user typed from is found by walking back up the destination as typed.
    """
    if Path(template).is_absolute() or "://" in template or template.startswith("gh:"):
        return None
    project, typed = Path.cwd(), Path(destination)
    # The shell's PWD, which Copier passes on unchanged: the folder the user typed from,
    # trusted only when the destination as typed leads from it to this project.
    typed_from = Path(os.environ.get("PWD", "/nonexistent"))
    from_shell = (typed_from / typed).resolve() == project.resolve()
    starts = [typed_from] if from_shell else []
    starts += [project.joinpath(*[".."] * len(typed.parts))] if not typed.is_absolute() else []
    starts += project.parents  # a destination typed with `..` or as an absolute path
    for start in starts:
        candidate = (start / template).resolve()
        if (candidate / "copier.yml").is_file() and candidate != project:
            return candidate
    return None


def record_template_path(destination: str, template: str) -> None:
    """Record a relative local template path as absolute, so updates work from anywhere."""
    answers = Path(".copier-answers.yml")
    found = template_directory(destination, template)
    if found is None or not answers.is_file():
        return
    text = answers.read_text()
    # A JSON string is a valid YAML scalar, whatever characters the path holds.
    line = f"_src_path: {json.dumps(str(found))}"
    recorded = re.sub(r"(?m)^_src_path: .*$", lambda _: line, text)
    if recorded != text:
        answers.write_text(recorded)
        say(f"Recorded the template as {found}, so `copier update` works from the project.")


def render_domains(domains: list[str], worker: str, subscriber: str | None, accounts: bool) -> None:
    """Each domain from the scaffold of the project's template package, as
    `manage.py startdomain` renders later ones; a folder already there is kept.

    With `accounts`, the accounts domain too (`startdomain accounts --allauth`), and
    the events example's subscriber (the only domain, if one) welcomes each verified
    account: a domain that uses accounts through its services and events.
    """
    sys.path.insert(0, str(Path("template-package", "src").resolve()))
    from modulith.scaffold import DomainSpec, ScaffoldError, render_accounts, render_domain

    first, publisher = domains[0], domains[0] if len(domains) > 1 else None
    welcoming = (subscriber or domains[-1]) if accounts else None
    for index, name in enumerate(domains):
        spec = DomainSpec(
            name,
            worker=worker,
            task_example=name == first,
            event_publisher=publisher if name == subscriber else None,
            welcome=name == welcoming,
        )
        try:
            render_domain(Path.cwd(), spec, existing=domains[:index])
        except ScaffoldError as error:
            say(f"apps/{name}/ not rendered: {error}")
    if accounts:
        try:
            render_accounts(Path.cwd(), existing=domains)
        except ScaffoldError as error:
            say(f"apps/accounts/ not rendered: {error}")


def main() -> None:
    destination, template, answers_json = sys.argv[1:4]
    answers = json.loads(answers_json)
    if answers["recopy"]:
        sys.exit(RECOPY_REFUSED)
    refusal = subscriber_refusal(answers["domains"], answers["events_example_subscriber"])
    if refusal:
        sys.exit(refusal)
    record_template_path(destination, template)
    render_domains(
        answers["domains"],
        answers["worker"],
        answers["events_example_subscriber"],
        answers.get("accounts", False),
    )
    init_git()
    create_env_file()
    lock_dependencies()
    say("Next: `uv sync`, then `uv run pytest` (see README.md).")


if __name__ == "__main__":
    main()
