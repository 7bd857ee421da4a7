"""One path from query parameters to the log store's criteria, for every surface.

Surfaces differ only in their default time window (`DEFAULT_WINDOWS`) and in how they show
errors. Which parameters count, blank values, NUL characters, validation through `LogFilter`
and the window a query covers are decided here, once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict
from django.utils import timezone

from logstore.query.filters import LogFilter
from logstore.storage.port import LogCriteria

# Without a time bound a list would walk a workspace's whole history to fill sparse filters;
# the admin and exports name their bounds explicitly or mean "all of it".
DEFAULT_WINDOWS = {"api": "7d", "web": "24h", "admin": None, "export": None}
TIME_PARAMETERS = ("since", "start", "end")


def filter_params(query: Mapping, *, default_window: str | None = None, extra=()) -> QueryDict:
    """Only LogFilter's parameters (and `extra` names), blanks dropped, the default window added.

    `query` is a QueryDict or a mapping of a name to a string or a list of strings.
    """
    known = set(LogFilter.base_filters) | set(extra)
    params = QueryDict(mutable=True)
    items = query.lists() if isinstance(query, QueryDict) else query.items()
    for key, values in items:
        values = values if isinstance(values, list | tuple) else [values]
        kept = [str(v) for v in values if str(v).strip()]
        if key in known and kept:
            params.setlist(key, kept)
    if params.get("start") or params.get("end"):
        # Explicit From/To win over a preset a form still carried.
        params.pop("since", None)
    elif default_window and not params.get("since"):
        params["since"] = default_window
    return params


def contains_nul(query: Mapping) -> bool:
    items = query.lists() if isinstance(query, QueryDict) else query.items()
    return any(
        "\x00" in str(value)
        for _, values in items
        for value in (values if isinstance(values, list | tuple) else [values])
    )


@dataclass
class Selection:
    """The logs a query selects, as the log store's criteria, or why it selects none."""

    params: QueryDict  # the filter parameters in effect (default window included)
    criteria: LogCriteria
    errors: dict  # parameter name -> list of messages; empty when the query is valid
    window_start: datetime | None
    window_end: datetime | None

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def messages(self) -> list[str]:
        """Each error as "Label: message", for people."""
        return [
            f"{'Filter' if name == '__all__' else name.replace('_', ' ').capitalize()}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]

    def details(self) -> list[dict]:
        """Each error as {"field", "message"}, for API clients."""
        return [
            {"field": name, "message": str(message)}
            for name, messages in self.errors.items()
            for message in messages
        ]


def select_logs(query: Mapping, *, surface: str, workspace_ids) -> Selection:
    """The logs of `workspace_ids` (the caller's scope; None: all) that `query` selects."""
    default_window = DEFAULT_WINDOWS[surface]
    params = filter_params(query, default_window=default_window)
    scope = None if workspace_ids is None else tuple(workspace_ids)
    if contains_nul(query):
        # No database text column can hold NUL, so such a value could never match; the check
        # covers the surface's own parameters (chart breakdowns, columns) as well.
        return Selection(
            params=filter_params({}, default_window=default_window),
            criteria=LogCriteria(workspace_ids=scope, nothing=True),
            errors={"filters": ["Filter values cannot contain NUL characters."]},
            window_start=None,
            window_end=None,
        )
    filterset = LogFilter(params)
    if not filterset.is_valid():
        return Selection(
            params=params,
            criteria=LogCriteria(workspace_ids=scope, nothing=True),
            errors={name: list(messages) for name, messages in filterset.errors.items()},
            window_start=None,
            window_end=None,
        )
    criteria = filterset.criteria(workspace_ids=scope, now=timezone.now())
    return Selection(
        params=params,
        criteria=criteria,
        errors={},
        window_start=criteria.start,
        window_end=criteria.end,
    )
