"""How every list endpoint pages: newest first, by cursor."""

from datetime import datetime

from rest_framework.exceptions import NotFound, ParseError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class NewestFirstPagination(CursorPagination):
    """Newest first, page by page, with `next` and `previous` links.

    A cursor page is one indexed range query: no `COUNT(*)` of the table and no
    OFFSET that grows with the page number, so the last page costs what the first
    does. Every domain model has `created_at` (TimeStampedModel) and an index on
    (`-created_at`, `-id`) to serve this ordering; `id` breaks ties.

    A cursor the server did not issue is the client's error: one that does not
    decode, or that decodes to a position that is no time (edited by hand), is
    answered 400 "Invalid cursor" (DRF answers 404), never a database error. The
    schema cannot say which strings the server issued, so schemathesis.toml lets list
    operations answer 400.
    """

    ordering = ("-created_at", "-id")

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor: Cursor | None = super().decode_cursor(request)
        except NotFound as error:
            raise ParseError(self.invalid_cursor_message) from error
        if cursor is not None and cursor.position is not None:
            try:
                datetime.fromisoformat(str(cursor.position))
            except ValueError as error:
                raise ParseError(self.invalid_cursor_message) from error
        return cursor
