"""Domain names (modulith.scaffold.names): which are refused and why, and the names a
domain's code derives from its own. The template's question and `manage.py startdomain`
both use these rules (tests/test_answers.py shows the question's messages reach users)."""

import ast
import keyword
import string
from pathlib import Path

import jinja2
import pytest

from modulith.events.apps import EventsConfig
from modulith.scaffold.names import (
    ALLAUTH_LABELS,
    MAX_LENGTH,
    accounts_refusal,
    config_class,
    model_name,
    model_var,
    problem,
    problems,
    refusal,
)

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]
PROMPT_WIDTH = 80 - len("Validation error for question 'domains': ")


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        (["Orders"], "'Orders': use a-z, 0-9, _"),
        (["orders", "2fa"], "'2fa': start with a letter"),
        (["order-lines"], "'order-lines': use a-z, 0-9, _"),
        (["_private"], "'_private': start with a letter"),
        (["class"], "'class': a Python keyword"),
        (["import", "orders"], "'import': a Python keyword"),
        (["auth"], "'auth': a reserved name"),
        (["orders", "core"], "'core': a reserved name"),
        (["config"], "'config': a reserved name"),
        (["tests"], "'tests': a reserved name"),
        (["orders", "payments", "orders"], "'orders': listed twice"),
        (["box", "boxes"], "'boxes': same model as 'box'"),
        (["none"], "'none': its class would be None"),
        (["orders", "trues"], "'trues': its class would be True"),
        (["s"], "'s': its class name would be empty"),
        (["orders", "i"], "'i': its class I reads as l or 1"),
        (["o"], "'o': its class O reads as 0"),
        (["debug_toolbar"], "'debug_toolbar': a reserved name"),
        # Shortened to fit the prompt's one-line error bar, then given whole.
        (
            ["customer_support_tickets_x"],
            "'customer_support…': over 24 characters\n"
            "'customer_support_tickets_x': over 24 characters",
        ),
        ([], "name at least one domain, e.g. [orders]"),
        ("orders", "a YAML list, e.g. [orders, inventory]"),
        ({"orders": 1}, "a YAML list, e.g. [orders, inventory]"),
        ([42], "'42': not a word"),
    ],
)
def test_bad_names_are_refused_with_the_reason(domains: object, message: str) -> None:
    assert refusal(domains) == message
    assert len(message.splitlines()[0]) <= PROMPT_WIDTH, "the prompt shows the first line"


@pytest.mark.parametrize(
    "domains",
    [["orders"], ["orders", "inventory"], ["customer_support_tickets"], ["box", "order_lines"]],
)
def test_good_names_are_accepted(domains: list[str]) -> None:
    assert refusal(domains) == ""
    assert problems(domains) == []


def test_every_bad_name_is_named_at_once_one_per_line() -> None:
    assert refusal(["Orders", "ok", "admin", "class", "ok"]).splitlines() == [
        "'Orders': use a-z, 0-9, _ (+3 more)",
        "'admin': a reserved name",
        "'class': a Python keyword",
        "'ok': listed twice",
    ]


# Every name of one or two characters, and a few longer ones with the rules' endings.
SHORT_NAMES = [
    a + b for a in string.ascii_lowercase for b in ["", *string.ascii_lowercase, *"0123456789_"]
] + ["a_s", "x_i", "order_s", "s_s", "ies", "es", "ses", "ves", "mice", "abcdefghijklmnopqrstmice"]


@pytest.mark.parametrize("name", SHORT_NAMES)
def test_every_accepted_name_derives_valid_unambiguous_names(name: str) -> None:
    """The model, its variable and the AppConfig of an accepted name are Python
    identifiers, no keywords, and the class is none ruff refuses as ambiguous (E742)."""
    if problem(name) is None:
        derived = [model_name(name), model_var(name), config_class(name)]
        assert all(n.isidentifier() and not keyword.iskeyword(n) for n in derived), derived
        assert derived[0] not in {"I", "O", "l"}


def test_a_name_is_judged_beside_the_earlier_ones() -> None:
    assert problem("orders") is None
    assert problem("orders", ["orders"]) == "listed twice"
    assert problem("boxes", ["box"]) == "same model as 'box'"
    assert problem("x" * MAX_LENGTH) is None
    assert problem("x" * (MAX_LENGTH + 1)) == f"over {MAX_LENGTH} characters"


# Every value of the questions that change which apps the settings install.
SETTINGS_VARIANTS = [
    {"worker": worker, "use_redis_cache": cache}
    for worker in ("django-q2", "celery", "none")
    for cache in (True, False)
]


def installed_apps(source: str) -> list[str]:
    """The apps a settings module lists in INSTALLED_APPS, by any assignment to it."""
    targets = {"INSTALLED_APPS", "settings['INSTALLED_APPS']"}
    return [
        item.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign | ast.AugAssign)
        and targets.intersection(
            ast.unparse(target)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for listed in ast.walk(node.value)
        if isinstance(listed, ast.List)
        for item in listed.elts
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
    ]


def settings_apps(variant: dict[str, object]) -> list[str]:
    """The apps each of the project's settings modules installs, for these answers."""
    folder = TEMPLATE_ROOT / "template/config/settings"
    apps = []
    for path in sorted(folder.glob("*.py*")):
        source = path.read_text()
        if path.suffix == ".jinja":
            source = jinja2.Template(source).render(variant)
        apps += installed_apps(source)
    return apps


def label_and_package(app: str) -> set[str]:
    """The app's label, as Django derives it, and its top-level package."""
    label = EventsConfig.label if app == EventsConfig.name else app.rsplit(".", 1)[-1]
    return {label, app.split(".", 1)[0]}


@pytest.mark.parametrize("variant", SETTINGS_VARIANTS, ids=str)
def test_every_installed_app_label_and_package_is_refused(variant: dict[str, object]) -> None:
    """Two apps cannot share a label: each app any settings module (local, test,
    production) installs besides the domains, in any variant of the answers, is refused
    as a domain name, by its label and by its top-level package."""
    apps = settings_apps(variant)
    assert {"core", "modulith", "modulith.events", "debug_toolbar"} <= set(apps)
    names = sorted({name for app in apps for name in label_and_package(app)})

    assert [(name, problem(name)) for name in names] == [
        (name, "a reserved name") for name in names
    ]


def test_accounts_refused_beside_allauth_app_labels() -> None:
    """django-allauth's app labels and package (read from the accounts domain's
    settings) cannot be domains beside accounts, and accounts cannot be added twice."""
    fragment = TEMPLATE_ROOT / "template/template-package/src/modulith/scaffold/accounts"
    apps = installed_apps((fragment / "settings.py-tpl").read_text())
    labels = {name for app in apps for name in label_and_package(app)}
    assert {"allauth", "account", "headless"} <= labels <= ALLAUTH_LABELS
    for label in sorted(ALLAUTH_LABELS):
        assert label in accounts_refusal(["orders", label]), label
        assert problem(label) is None, f"{label} stays a fine name without accounts"
    assert accounts_refusal(["orders", "accounts"]) == "your domains already list accounts"
    assert accounts_refusal(["orders", "payments"]) == ""


# Plural domain names and the model class each should get (the singular of the last word).
SINGULARS = {
    "orders": "Order",
    "inventory": "Inventory",
    "payments": "Payment",
    "order_lines": "OrderLine",
    "customer_support_tickets": "CustomerSupportTicket",
    "categories": "Category",
    "companies": "Company",
    "addresses": "Address",
    "classes": "Class",
    "businesses": "Business",
    "boxes": "Box",
    "taxes": "Tax",
    "matches": "Match",
    "wishes": "Wish",
    "buzzes": "Buzz",
    "quizzes": "Quiz",
    "status": "Status",
    "statuses": "Status",
    "buses": "Bus",
    "bonuses": "Bonus",
    "aliases": "Alias",
    "analyses": "Analysis",
    "diagnoses": "Diagnosis",
    "crises": "Crisis",
    "bases": "Base",
    "databases": "Database",
    "cases": "Case",
    "responses": "Response",
    "purchases": "Purchase",
    "warehouses": "Warehouse",
    "invoices": "Invoice",
    "services": "Service",
    "caches": "Cache",
    "indices": "Index",
    "matrices": "Matrix",
    "heroes": "Hero",
    "potatoes": "Potato",
    "shoes": "Shoe",
    "photos": "Photo",
    "movies": "Movie",
    "cookies": "Cookie",
    "pies": "Pie",
    "shelves": "Shelf",
    "knives": "Knife",
    "lives": "Life",
    "olives": "Olive",
    "archives": "Archive",
    "objectives": "Objective",
    "leaves": "Leave",
    "people": "Person",
    "salespeople": "Salesperson",
    "children": "Child",
    "men": "Man",
    "women": "Woman",
    "specimens": "Specimen",
    "criteria": "Criterion",
    "alumni": "Alumnus",
    "news": "News",
    "series": "Series",
    "analytics": "Analytics",
    "metrics": "Metric",
    "keys": "Key",
    "surveys": "Survey",
    "data": "Data",
    "media": "Media",
    "staff": "Staff",
    "feedback": "Feedback",
    "shipping": "Shipping",
}


@pytest.mark.parametrize(("domain", "model"), SINGULARS.items())
def test_model_name_is_the_singular_of_the_domain(domain: str, model: str) -> None:
    assert model_name(domain) == model


@pytest.mark.parametrize(
    ("domain", "var", "config"),
    [
        ("orders", "order", "OrdersConfig"),
        ("order_lines", "order_line", "OrderLinesConfig"),
        ("customer_support_tickets", "customer_support_ticket", "CustomerSupportTicketsConfig"),
    ],
)
def test_the_derived_names(domain: str, var: str, config: str) -> None:
    assert (model_var(domain), config_class(domain)) == (var, config)


def test_the_accounts_refusal_fits_its_prompt() -> None:
    width = 80 - len("Validation error for question 'accounts': ")
    reasons = [accounts_refusal(["orders", label]) for label in sorted(ALLAUTH_LABELS)]
    reasons.append(accounts_refusal(["orders", "accounts"]))

    assert all(reasons)
    assert max(map(len, reasons)) <= width, reasons
