"""An import-linter contract for the domain rules 1-4.

Written here because no built-in contract reads per-domain declarations: `forbidden`,
`independence` and `acyclic_siblings` would need one configuration entry per pair of
domains and cannot say which dependency to declare. import-linter (with grimp) still
does the hard part: finding every import, including those inside functions.
"""

from collections.abc import Iterator
from typing import cast

import grimp
from importlinter import Contract, ContractCheck, fields, output

from core.boundaries.rules import Import, Violation, check_cycles, check_imports, domain_of
from core.domains import BASE_DIR, load_declarations


class DomainBoundariesContract(Contract):
    """Domains use each other only through declared dependencies and public modules."""

    type_name = "domain_boundaries"

    public_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        declarations = load_declarations()
        imports = sorted(cross_domain_imports(graph))
        public = frozenset(cast("list[str]", self.public_modules))
        violations = check_imports(imports, declarations, public)
        violations += check_cycles(imports, declarations)
        return ContractCheck(kept=not violations, metadata={"violations": sorted(violations)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        violations: list[Violation] = check.metadata["violations"]
        for violation in violations:
            # Unwrapped, so each report starts with a clickable `file:line`; no markup,
            # so `[rule]` is printed rather than read as a style.
            output.console.print(violation.render(), style="red", markup=False, soft_wrap=True)
            output.new_line()


def cross_domain_imports(graph: grimp.ImportGraph) -> Iterator[Import]:
    """Every import of a domain's module from outside that domain, with file and line."""
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            target = domain_of(imported)
            if target is None or domain_of(importer) == target:
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                location = f"{source_file(importer)}:{detail['line_number']}"
                yield Import(location=location, importer=importer, imported=imported)


def source_file(module: str) -> str:
    """`apps.orders.services` -> `apps/orders/services.py` (or its package `__init__.py`)."""
    path = BASE_DIR.joinpath(*module.split("."))
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return str(file.relative_to(BASE_DIR))
