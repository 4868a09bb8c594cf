from apps.billing.models import Invoice


def invoice_count() -> int:
    return Invoice.objects.count()
