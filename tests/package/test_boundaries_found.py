"""Cases that checking a large real Django project (55 apps) exposed."""

from tests.package.sample_project import SampleProject
from tests.package.test_boundaries import assert_reported, check, project

__all__ = ["project"]  # the fixture, shared with the other boundary tests


def test_a_model_base_reached_through_a_star_import_is_followed(project: SampleProject) -> None:
    project.write("apps/inventory/bases.py", "from apps.inventory.mixins import *\n")
    project.write(
        "apps/inventory/mixins.py",
        "from django.db import models\n\n\nclass Stocked(models.Model):\n"
        "    class Meta:\n        abstract = True\n",
    )
    project.write(
        "apps/inventory/shelves.py",
        "from apps.inventory import bases\n\n\nclass Shelf(bases.Stocked):\n    pass\n",
    )
    project.write("apps/orders/stock.py", "from apps.inventory.shelves import Shelf\n")

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:1", "public-interface", "apps.inventory.shelves")
