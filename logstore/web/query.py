"""From a request's query string to the user's filtered logs, via the shared LogFilter.

The URL is the state: filters, workspace, columns and the page cursor all live in it, so any
view can be bookmarked. When no time is given the window defaults to the last 24 hours.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone

from logstore.query.access import workspaces_for
from logstore.query.filters import TIME_PRESETS, LogFilter
from logstore.storage.port import LogCriteria

DEFAULT_SINCE = "24h"
MAX_COLUMNS = 8


@dataclass
class LogQuery:
    params: QueryDict  # the filter parameters in effect (default window included)
    criteria: LogCriteria  # what the log store is asked for
    errors: list[str]
    window_start: datetime
    window_end: datetime
    workspace: object | None
    workspaces: list
    columns: list[str] = field(default_factory=list)

    def querystring(self, *, keep=("workspace",), **changes) -> str:
        """This query's filters (plus the kept view params) with `changes` applied; "" drops."""
        merged = QueryDict(mutable=True)
        for key, values in self.params.lists():
            merged.setlist(key, values)
        if "workspace" in keep and self.workspace is not None:
            merged["workspace"] = self.workspace.slug
        if "cols" in keep and self.columns:
            merged["cols"] = ",".join(self.columns)
        for key, value in changes.items():
            if value in ("", None, []):
                merged.pop(key, None)
            elif isinstance(value, list):
                merged.setlist(key, value)
            else:
                merged[key] = value
        return merged.urlencode()

    @property
    def since(self):
        return self.params.get("since", "")


def filter_params(query: QueryDict) -> QueryDict:
    """Only LogFilter's parameters, blank ones dropped, with the default window added."""
    known = set(LogFilter.base_filters)
    params = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [v for v in values if v.strip()]
        if key in known and kept:
            params.setlist(key, kept)
    if not any(params.get(k) for k in ("since", "start", "end")):
        params["since"] = DEFAULT_SINCE
    return params


def log_query(request) -> LogQuery:
    user = request.user
    workspaces = list(workspaces_for(user))
    params = filter_params(request.GET)
    errors = []
    scope = [w.pk for w in workspaces]
    nothing = False

    workspace = None
    slug = request.GET.get("workspace", "").strip()
    if slug:
        workspace = next((w for w in workspaces if w.slug == slug), None)
        if workspace is None:
            errors.append(f"Workspace {slug!r} does not exist or is not yours.")
            nothing = True
        else:
            scope = [workspace.pk]

    if contains_nul(request.GET):
        # PostgreSQL text cannot hold NUL, so such a value could never match: say so up front.
        errors.append("Filter values cannot contain NUL characters.")
        params = filter_params(QueryDict())
        nothing = True

    filterset = LogFilter(params)
    now = timezone.now()
    window_start, window_end = now - TIME_PRESETS[DEFAULT_SINCE], now
    if filterset.is_valid():
        criteria = filterset.criteria(workspace_ids=scope, now=now)
        window_end = criteria.end or now
        window_start = criteria.start or window_end - TIME_PRESETS[DEFAULT_SINCE]
    else:
        for name, messages in filterset.errors.items():
            label = name.replace("_", " ").capitalize()
            errors.extend(f"{label}: {message}" for message in messages)
        criteria = LogCriteria(workspace_ids=tuple(scope))
        nothing = True
    if nothing:
        criteria = criteria.narrowed(nothing=True)
    if window_start >= window_end:
        window_start = window_end - timedelta(minutes=1)

    return LogQuery(
        params=params,
        criteria=criteria,
        errors=errors,
        window_start=window_start,
        window_end=window_end,
        workspace=workspace,
        workspaces=workspaces,
        columns=parse_columns(request.GET.getlist("cols")),
    )


def contains_nul(query: QueryDict) -> bool:
    return any("\x00" in value for _, values in query.lists() for value in values)


def parse_columns(values) -> list[str]:
    columns = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name and name not in columns:
                columns.append(name[:256])
    return columns[:MAX_COLUMNS]


def page_url(path, query: LogQuery, **changes):
    qs = query.querystring(keep=("workspace", "cols"), **changes)
    return f"{path}?{qs}" if qs else path
