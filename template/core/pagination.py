"""How every list endpoint pages: newest first, by cursor."""

from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Newest first, page by page, with `next` and `previous` links.

    A cursor page is one indexed range query: no `COUNT(*)` of the table and no
    OFFSET that grows with the page number, so the last page costs what the first
    does. Every domain model has `created_at` (TimeStampedModel) and an index on
    (`-created_at`, `-id`) to serve this ordering; `id` breaks ties.
    """

    ordering = ("-created_at", "-id")
