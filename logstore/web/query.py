"""From a request's query string to the user's filtered logs, via the shared LogFilter.

The URL is the state: filters, workspace, columns and the page cursor all live in it, so any
view can be bookmarked. When no time is given the window defaults to the last 24 hours.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone

from logstore.query.access import logs_for, workspaces_for
from logstore.query.filters import TIME_PRESETS, LogFilter
from logstore.query.search import MIN_INDEXED_CHARS, SHORT_TERM_ROWS, is_short_term

DEFAULT_SINCE = "24h"
MAX_COLUMNS = 8


@dataclass
class LogQuery:
    params: QueryDict  # the filter parameters in effect (default window included)
    queryset: object
    errors: list[str]
    window_start: datetime
    window_end: datetime
    workspace: object | None
    workspaces: list
    columns: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what was adjusted, not refused

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
    if params.get("start") or params.get("end"):
        # Explicit From/To win over a preset the form still carried.
        params.pop("since", None)
    elif not params.get("since"):
        params["since"] = DEFAULT_SINCE
    return params


def log_query(request) -> LogQuery:
    user = request.user
    workspaces = list(workspaces_for(user))
    params = filter_params(request.GET)
    errors = []
    # The literal ids, beside logs_for's subquery, let PostgreSQL walk each partition's
    # (workspace, created_at) index in order instead of sorting every match (100k rows: 4 ms
    # instead of 100 ms).
    queryset = logs_for(user).filter(workspace_id__in=[w.pk for w in workspaces])

    workspace = None
    slug = request.GET.get("workspace", "").strip()
    if slug:
        workspace = next((w for w in workspaces if w.slug == slug), None)
        if workspace is None:
            errors.append(f"Workspace {slug!r} does not exist or is not yours.")
            queryset = queryset.none()
        else:
            queryset = queryset.filter(workspace=workspace)

    if contains_nul(request.GET):
        # PostgreSQL text cannot hold NUL, so such a value could never match: say so up front.
        errors.append("Filter values cannot contain NUL characters.")
        params = filter_params(QueryDict())
        queryset = queryset.none()

    filterset = LogFilter(params, queryset=queryset)
    now = timezone.now()
    window_start, window_end = now - TIME_PRESETS[DEFAULT_SINCE], now
    if filterset.is_valid():
        queryset = filterset.qs
        data = filterset.form.cleaned_data
        window_end = data.get("end") or now
        starts = [d for d in (data.get("start"),) if d]
        if data.get("since"):
            starts.append(now - TIME_PRESETS[data["since"]])
        window_start = max(starts) if starts else window_end - TIME_PRESETS[DEFAULT_SINCE]
    else:
        errors.extend(filter_errors(filterset))
        queryset = queryset.none()
    if window_start >= window_end:
        window_start = window_end - timedelta(minutes=1)

    columns = parse_columns(request.GET.getlist("cols"))
    notices = []
    if is_short_term(params.get("q")):
        notices.append(
            f"Searches shorter than {MIN_INDEXED_CHARS} characters look only at the newest "
            f"{SHORT_TERM_ROWS:,} logs of the window."
        )
    if len(columns) > MAX_COLUMNS:
        notices.append(
            f"At most {MAX_COLUMNS} metadata columns are shown; left out: "
            f"{', '.join(columns[MAX_COLUMNS:])}."
        )
        columns = columns[:MAX_COLUMNS]
    return LogQuery(
        params=params,
        queryset=queryset,
        errors=errors,
        window_start=window_start,
        window_end=window_end,
        workspace=workspace,
        workspaces=workspaces,
        columns=columns,
        notices=notices,
    )


def filter_errors(filterset) -> list[str]:
    """LogFilter's errors as sentences that name the parameter at fault."""
    errors = []
    for name, messages in filterset.errors.items():
        label = "Filter" if name == "__all__" else name.replace("_", " ").capitalize()
        errors.extend(f"{label}: {message}" for message in messages)
    return errors


def contains_nul(query: QueryDict) -> bool:
    return any("\x00" in value for _, values in query.lists() for value in values)


def parse_columns(values) -> list[str]:
    columns = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name and name not in columns:
                columns.append(name[:256])
    return columns


def page_url(path, query: LogQuery, **changes):
    qs = query.querystring(keep=("workspace", "cols"), **changes)
    return f"{path}?{qs}" if qs else path
