"""Keyset pages for `GET /logs`: `(created_at, id)` cursors, so ties and deep pages both end.

DRF's CursorPagination pages by `created_at` plus an offset within a tie, and caps that offset
at 1,000: a batch of logs sharing one timestamp could never be paged through. The cursor here
names the last row shown, exactly as the web list and the admin do (`logstore.query.keyset`);
the rows come from the log store's `page`, so this class only reads the request's cursor and
size and writes the page's links, and documents both in the OpenAPI schema.
"""

from rest_framework.pagination import BasePagination, _positive_int
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ingest.errors import InvalidRequest

# A cursor is "<direction>.<created_at µs>.<id>": older rows after it, or newer rows before it.
OLDER, NEWER = "o", "n"


class LogKeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "limit"
    page_size = 50
    max_page_size = 200

    def position(self, request) -> dict:
        """The store's `after`/`before` and `size` for this request's cursor and limit."""
        self.request = request
        direction, _, position = request.query_params.get(self.cursor_query_param, "").partition(
            "."
        )
        if direction not in ("", OLDER, NEWER) or (direction and not position):
            raise self.invalid_cursor()
        return {
            "after": position if direction == OLDER else None,
            "before": position if direction == NEWER else None,
            "size": self.get_page_size(request),
        }

    def get_page_size(self, request):
        try:
            return _positive_int(
                request.query_params[self.page_size_query_param],
                strict=True,
                cutoff=self.max_page_size,
            )
        except (KeyError, ValueError):
            return self.page_size

    def invalid_cursor(self):
        message = (
            "Invalid cursor: it is not one of this API's page links; start from the first page."
        )
        return InvalidRequest(
            message, details=[{"field": self.cursor_query_param, "message": message}]
        )

    def link(self, direction, position):
        if position is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, f"{direction}.{position}")

    def page_response(self, page, data):
        return Response(
            {
                "next": self.link(OLDER, page.older),
                "previous": self.link(NEWER, page.newer),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next (older) page; null on the last."},
                "previous": {**link, "description": "The previous (newer) page, if any."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "A page link's cursor, from `next` or `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Page size, at most {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
