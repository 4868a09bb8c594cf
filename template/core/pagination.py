"""How every list endpoint pages: newest first, by cursor."""

from datetime import datetime

from rest_framework.exceptions import ParseError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class NewestFirstPagination(CursorPagination):
    """Newest first, page by page, with `next` and `previous` links.

    A cursor page is one indexed range query: no `COUNT(*)` of the table and no
    OFFSET that grows with the page number, so the last page costs what the first
    does. Every domain model has `created_at` (TimeStampedModel) and an index on
    (`-created_at`, `-id`) to serve this ordering; `id` breaks ties.

    A cursor that does not decode is answered 404 "Invalid cursor", as DRF does (the
    schema allows any string there, and schema checkers expect no 400 for one); a
    cursor that decodes to a position that is no time (edited by hand) is 400, never
    a database error.
    """

    ordering = ("-created_at", "-id")

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor: Cursor | None = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                datetime.fromisoformat(str(cursor.position))
            except ValueError as error:
                raise ParseError(self.invalid_cursor_message) from error
        return cursor
