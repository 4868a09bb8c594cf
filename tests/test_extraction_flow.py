"""Extracting a domain, rehearsed in a generated project with a realistic flow.

A team writes what the extraction report is about: orders reserves stock through
inventory's services inside `transaction.atomic`, then may reject the order, and
publishes OrderPlaced, which payments handles. Orders' tests check that a rejected
order holds no stock. Then:

- `manage.py extraction_report inventory --format json` lists exactly that call, its
  transactional coupling and the event published in the same transaction;
- the project's tests pass;
- with inventory rehearsed as a remote service, the transactional test fails the way
  the report predicted: the reservation survives the rejected order.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import project_env, run, writable_copy

pytestmark = pytest.mark.project

RESERVATION_MODEL = '''

class Reservation(models.Model):
    """Stock held for an order."""

    sku = models.CharField(max_length=50)
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"
'''

INVENTORY_SERVICES = '''

@dataclass(frozen=True, slots=True)
class ReservationData:
    """Stock held for an order."""

    id: int
    sku: str
    quantity: int


def reserve(*, sku: str, quantity: int) -> ReservationData:
    """Hold `quantity` of `sku`."""
    reservation = Reservation.objects.create(sku=sku, quantity=quantity)
    return ReservationData(id=reservation.pk, sku=sku, quantity=quantity)


def reserved(sku: str) -> int:
    """How much of `sku` is held."""
    return sum(Reservation.objects.filter(sku=sku).values_list("quantity", flat=True))
'''

ORDER_PLACED = '''

@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """Published when an order is placed, its stock held."""

    order_id: int
    sku: str
    quantity: int
'''

PLACE_ORDER = '''

class OrderRejectedError(ValueError):
    """The order cannot be placed."""


MAX_QUANTITY = 100


def place_order(*, sku: str, quantity: int) -> OrderData:
    """Hold the stock, record the order and publish OrderPlaced: all or nothing."""
    with transaction.atomic():
        inventory.reserve(sku=sku, quantity=quantity)
        if quantity > MAX_QUANTITY:
            raise OrderRejectedError(f"at most {MAX_QUANTITY} per order")
        instance = Order.objects.create(name=sku)
        publish(OrderPlaced(order_id=instance.pk, sku=sku, quantity=quantity))
    return _to_data(instance)
'''

PAYMENTS_HANDLERS = '''"""How the payments domain reacts to other domains' events."""

from modulith.events import subscriber

from apps.orders.events import OrderPlaced
from apps.payments.models import Payment


@subscriber(OrderPlaced, durable=True)
def open_payment(event: OrderPlaced) -> None:
    """Open the payment of a placed order; idempotent."""
    Payment.objects.get_or_create(name=f"order {event.order_id}")
'''

ORDERS_TEST = """import pytest

from apps.inventory import services as inventory
from apps.orders import services

pytestmark = pytest.mark.django_db


def test_an_order_holds_its_stock() -> None:
    services.place_order(sku="pen", quantity=2)

    assert inventory.reserved("pen") == 2


def test_a_rejected_order_holds_no_stock() -> None:
    with pytest.raises(services.OrderRejectedError):
        services.place_order(sku="pen", quantity=1000)

    assert inventory.reserved("pen") == 0
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def write_the_flow(project: Path) -> int:
    """Write the flow as a team would; return the line of the call into inventory."""
    apps = project / "apps"
    (apps / "inventory" / "models.py").write_text(
        (apps / "inventory" / "models.py").read_text() + RESERVATION_MODEL
    )
    services = apps / "inventory" / "services.py"
    edit(services, "import Inventory\n", "import Inventory, Reservation\n")
    services.write_text(services.read_text() + INVENTORY_SERVICES)
    events = apps / "orders" / "events.py"
    events.write_text(events.read_text() + ORDER_PLACED)
    orders = apps / "orders" / "services.py"
    edit(orders, "from apps.orders import", "from apps.inventory import services as inventory\n"
                                            "from apps.orders import")  # fmt: skip
    edit(orders, "import OrderCreated\n", "import OrderCreated, OrderPlaced\n")
    orders.write_text(orders.read_text() + PLACE_ORDER)
    edit(apps / "orders" / "apps.py", "depends_on: tuple[str, ...] = ()",
         'depends_on: tuple[str, ...] = ("inventory",)')  # fmt: skip
    edit(apps / "payments" / "apps.py", "depends_on: tuple[str, ...] = ()",
         'depends_on: tuple[str, ...] = ("orders",)')  # fmt: skip
    (apps / "payments" / "handlers.py").write_text(PAYMENTS_HANDLERS)
    (apps / "orders" / "tests" / "test_placing.py").write_text(ORDERS_TEST)
    lines = orders.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if "inventory.reserve(" in line)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh PostgreSQL database of this run's own, else a SQLite file."""
    try:
        return str(request.getfixturevalue("postgres_database"))
    except pytest.skip.Exception:
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"


def test_the_report_predicts_what_the_rehearsal_breaks(
    render: Render, install: Callable[[Path], Path], tmp_path: Path, database_url: str
) -> None:
    installed = install(render({}))
    project = writable_copy(installed, tmp_path / "project")
    python = str(installed / ".venv" / "bin" / "python")
    env = project_env(DATABASE_URL=database_url)
    call_line = write_the_flow(project)
    run([python, "manage.py", "makemigrations", "inventory"], cwd=project, env=env)
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]):
        run([str(installed / ".venv" / "bin" / check[0]), *check[1:]], cwd=project, env=env)
    run([python, "manage.py", "check_boundaries"], cwd=project, env=env)

    command = [python, "manage.py", "extraction_report", "inventory", "--format", "json"]
    report = json.loads(run(command, cwd=project, env=env).stdout)

    assert report["inbound_calls"] == [
        {
            "file": "apps/orders/services.py",
            "line": call_line,
            "caller": "orders",
            "function": "place_order",
            "callee": "inventory",
            "service": "reserve",
            "transactional": True,
            "in_loop": False,
            "same_transaction": ["orders.OrderPlaced"],
        }
    ]
    assert report["transactional_coupling"] == report["inbound_calls"]
    assert report["outbound_calls"] == []

    tests = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "apps/orders"]
    passed = run(tests, cwd=project, env=env)
    assert re.search(r"\b\d+ passed\b", passed.stdout), passed.stdout
    assert "failed" not in passed.stdout

    if database_url.startswith("sqlite"):
        pytest.skip("the rehearsal needs PostgreSQL (an in-memory SQLite test database is "
                    "one connection, shared by the caller and the live server)")  # fmt: skip
    rehearsed = run(tests, cwd=project, env={**env, "MODULITH_REHEARSE": "inventory"}, check=False)

    assert rehearsed.returncode == 1, rehearsed.stdout + rehearsed.stderr
    failed = re.findall(r"^FAILED (\S+)", rehearsed.stdout, re.M)
    assert failed == ["apps/orders/tests/test_placing.py::test_a_rejected_order_holds_no_stock"], (
        rehearsed.stdout
    )
    # The reservation, made in inventory's own transaction, outlived orders' rollback.
    assert "assert 1000 == 0" in rehearsed.stdout, rehearsed.stdout
