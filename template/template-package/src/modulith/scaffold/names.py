"""Domain names: which are accepted, and the names a domain's code derives from its own.

One implementation for every place that takes a domain name: the template's question
(through its Jinja extension) and `manage.py startdomain`.
"""

import keyword
import re
from collections.abc import Sequence

MAX_LENGTH = 24
# Class names ruff refuses (E742), with what each reads as (l, the third, is never a
# class: a model name is capitalized).
AMBIGUOUS = {"I": "l or 1", "O": "0"}
# Names Django, its contrib apps, the project's libraries or the project itself use
# as app labels or top-level packages, in any settings module (local's debug_toolbar
# too): a domain of that name would collide with them.
RESERVED = frozenset(
    {
        "admin", "auth", "contenttypes", "sessions", "messages", "staticfiles", "sites",
        "core", "config", "apps", "tests", "api", "rest_framework", "drf_spectacular",
        "drf_spectacular_sidecar", "authtoken", "drf_standardized_errors", "django",
        "django_q", "celery", "environ", "modulith", "modulith_events", "axes",
        "debug_toolbar",
    }
)  # fmt: skip

# The accounts domain (`startdomain accounts --allauth`) installs django-allauth, whose
# apps take these labels: it cannot join domains of these names. Not reserved for all,
# as a team without accounts may well have an `account` domain.
ACCOUNTS = "accounts"
ALLAUTH_LABELS = frozenset(
    {"allauth", "account", "headless", "socialaccount", "mfa", "usersessions"}
)

# The singular of a domain's last word, by the first rule that matches. Hand-written:
# the libraries that do this (inflect, inflection) would have to be installed beside
# Copier by every user of the template; the tests check these rules on a table of words.
SINGULAR_RULES = [
    (r"^(news|series|species|analytics|logistics|economics|physics|mathematics|politics"
     r"|ethics|means|headquarters|chaos|ethos|kudos|gas|canvas|atlas|alias|bias|lens|sms"
     r"|dns|gps|cms|aws|os|ios)$", r"\1"),
    (r"people$", "person"),
    (r"children$", "child"),
    (r"women$", "woman"),
    (r"^(|sales|chair|business|crafts|police|fire|fisher|spokes|gentle|fore|trades|work)men$",
     r"\1man"),
    (r"mice$", "mouse"),
    (r"geese$", "goose"),
    (r"teeth$", "tooth"),
    (r"^feet$", "foot"),
    (r"criteria$", "criterion"),
    (r"phenomena$", "phenomenon"),
    (r"(alumn|cact|fung|radi|nucle|stimul)i$", r"\1us"),
    (r"(matr|append)ices$", r"\1ix"),
    (r"(vert|ind)ices$", r"\1ex"),
    (r"(quiz)zes$", r"\1"),
    (r"(analy|diagno|the|cri|hypothe|synthe|parenthe|synop|progno|empha|oa)ses$", r"\1sis"),
    (r"(status|bus|gas|alias|bias|atlas|canvas|bonus|campus|census|surplus|virus|focus"
     r"|syllabus|apparatus|lens|plus|iris|prospectus|nexus)es$", r"\1"),
    (r"(cache|niche|headache|avalanche|quiche|cliche|creche|moustache|microfiche)s$", r"\1"),
    (r"(x|ch|sh|ss|zz|tz)es$", r"\1"),
    (r"(shoe|^toe|canoe|^foe|oboe|^hoe)s$", r"\1"),
    (r"oes$", "o"),
    (r"(movie|cookie|calorie|selfie|zombie|rookie|brownie|smoothie|hoodie|goalie|pixie"
     r"|newbie|freebie|genie|prairie|birdie|sortie|auntie)s$", r"\1"),
    (r"^([a-z])ies$", r"\1ie"),
    (r"([^aeiou]|qu)ies$", r"\1y"),
    (r"(shel|hal|wol|cal|sel|loa|thie|shea|scar|whar|hoo|dwar)ves$", r"\1f"),
    (r"^(kni|wi|li)ves$", r"\1fe"),
    (r"(ss|us|is)$", r"\1"),
    (r"s$", ""),
]  # fmt: skip


def singular(word: str) -> str:
    for pattern, replacement in SINGULAR_RULES:
        if re.search(pattern, word):
            return re.sub(pattern, replacement, word)
    return word


def model_name(domain: str) -> str:
    """The starter model's class: the CamelCase singular (order_lines -> OrderLine)."""
    *first, last = [word for word in domain.split("_") if word]
    return "".join(word.capitalize() for word in [*first, singular(last)])


def model_var(domain: str) -> str:
    """The model's snake_case name, for functions and URL names (OrderLine -> order_line)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", model_name(domain)).lower()


def config_class(domain: str) -> str:
    """The AppConfig class name (order_lines -> OrderLinesConfig)."""
    return "".join(word.capitalize() for word in domain.split("_")) + "Config"


def problems(names: object) -> list[tuple[str, str]]:
    """Each refused name with the reason, in order; empty when every name is accepted.

    A name that is not a string, is refused as the whole list is: `("", reason)`.
    """
    if isinstance(names, str | dict) or not isinstance(names, list | tuple):
        return [("", "a YAML list, e.g. [orders, inventory]")]
    if not names:
        return [("", "name at least one domain, e.g. [orders]")]
    found: list[tuple[str, str]] = []
    models: dict[str, str] = {}
    for index, name in enumerate(names):
        reason = problem(name, names[:index], models)
        if reason:
            found.append((str(name), reason))
        else:
            models[model_name(name)] = name
    return found


def problem(
    name: object, earlier: Sequence[object] = (), models: dict[str, str] | None = None
) -> str | None:
    """Why this name is refused beside the `earlier` names, or None when it is accepted."""
    if not isinstance(name, str):
        return "not a word"
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return "use a-z, 0-9, _"
    if not re.match(r"[a-z]", name):
        return "start with a letter"
    if len(name) > MAX_LENGTH:
        return f"over {MAX_LENGTH} characters"
    if keyword.iskeyword(name):
        return "a Python keyword"
    model = model_name(name)
    if not model:
        return "its class name would be empty"
    if model in {"None", "True", "False"}:
        return f"its class would be {model}"
    if model in AMBIGUOUS:
        return f"its class {model} reads as {AMBIGUOUS[model]}"
    if name in RESERVED:
        return "a reserved name"
    if name in earlier:
        return "listed twice"
    if models is None:
        models = {model_name(n): n for n in earlier if isinstance(n, str)}
    if model in models:
        return f"same model as {models[model]!r}"
    return None


PROMPT_WIDTH = 39  # 80 columns less Copier's "Validation error for question 'domains': "


def refusal(names: object) -> str:
    """The validation message for a list of names, empty when all are accepted.

    At Copier's prompt only the first line shows, after a 41-character prefix: the
    first bad name, why, and how many follow, shortened with "…" where long names
    leave no room; the others (and a shortened one, whole) follow on their own lines.
    """
    bad = problems(names)
    if not bad:
        return ""
    if bad[0][0] == "" and len(bad) == 1:
        return bad[0][1]
    more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
    name, reason = bad[0]
    keep = max(PROMPT_WIDTH - len(more) - len(reason) - 5, 4)
    shown = name[:keep] + "…" if len(name) > keep + 1 else name
    first = f"'{shown}': {reason}"
    if len(first + more) > PROMPT_WIDTH:
        first = first[: PROMPT_WIDTH - 1 - len(more)] + "…"
    whole = f"'{name}': {reason}"
    rest = bad if first != whole else bad[1:]
    return "\n".join([first + more, *(f"'{n}': {r}" for n, r in rest)])


def refusal_lines(names: object) -> str:
    """Each refused name with its reason, whole, a line each (for the command line,
    where no prompt cuts them); empty when every name is accepted."""
    return "\n".join(f"'{name}': {reason}" if name else reason for name, reason in problems(names))


def accounts_refusal(domains: object) -> str:
    """Why the accounts domain cannot join these domains; empty when it can."""
    names = [str(name) for name in domains] if isinstance(domains, list) else []
    if ACCOUNTS in names:
        return "your domains already list accounts"
    clashes = sorted(ALLAUTH_LABELS.intersection(names))
    if clashes:
        return f"{clashes[0]!r} is taken by allauth"
    return ""
