from apps.billing import services


def test_billing_is_set_up_through_its_services() -> None:
    assert services.invoice_count
