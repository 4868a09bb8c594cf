"""Names the check reads by, which the reading processes and the command line need
before the rules and the baseline are imported: what a module's dotted name says (the
domain it belongs to, whether it is public, whether it is test code), and the name of
the baseline file."""

PUBLIC_MODULES = frozenset({"services", "events"})
BASELINE_NAME = "boundaries-baseline.json"


def domain_of(module: str) -> str | None:
    """`apps.orders.api.views` -> `orders`; None outside `apps`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "apps" else None


def is_public(module: str, public_modules: frozenset[str] = PUBLIC_MODULES) -> bool:
    """Whether `module` is, or lies inside, a domain's public module: `apps.orders.services`,
    `apps.orders.services.pricing` (a `services/` package stays public throughout)."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "apps" and parts[2] in public_modules


def is_test(module: str) -> bool:
    """Test code: a module in a `tests` package, or a `conftest`. The file's own name
    gives no exemption: `test_mode.py` beside production code is production code."""
    parts = module.split(".")
    return "tests" in parts[:-1] or parts[-1] in {"tests", "conftest"}
