"""Jinja filters for copier.yml, from the template's own package (template-package/).

Loaded through copier-template-extensions, as pawamoy/copier-uv loads its own, so that
the questions validate domain names and derive model names with the same code as
`manage.py startdomain` in every generated project: one implementation of each rule.
"""

import sys
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

sys.path.insert(0, str(Path(__file__).parent / "template" / "template-package" / "src"))

from modulith.scaffold import names


class DomainNames(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["model_name"] = names.model_name
        environment.filters["model_var"] = names.model_var
        environment.filters["domain_refusal"] = names.refusal
        environment.filters["accounts_refusal"] = names.accounts_refusal
