"""From a request's query string to the user's filtered logs, via the shared LogFilter.

The URL is the state: filters, workspace, columns and the page cursor all live in it, so any
view can be bookmarked. Filtering itself is `logstore.query.selection`'s, with the web UI's
default window.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone

from logstore.query.access import workspaces_for
from logstore.query.filters import TIME_PRESETS
from logstore.query.search import MIN_INDEXED_CHARS, is_short_term
from logstore.query.selection import DEFAULT_WINDOWS, select_logs
from logstore.storage import get_store
from logstore.storage.port import LogCriteria

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


def log_query(request) -> LogQuery:
    user = request.user
    workspaces = list(workspaces_for(user))
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

    selection = select_logs(request.GET, surface="web", workspace_ids=scope)
    errors.extend(selection.messages())
    criteria = selection.criteria.narrowed(nothing=True) if nothing else selection.criteria
    now = timezone.now()
    window_end = selection.window_end or now
    window_start = selection.window_start or window_end - TIME_PRESETS[DEFAULT_WINDOWS["web"]]
    if window_start >= window_end:
        window_start = window_end - timedelta(minutes=1)

    columns = parse_columns(request.GET.getlist("cols"))
    notices = []
    bound = get_store().short_term_rows()
    if bound is not None and is_short_term(selection.params.get("q")):
        notices.append(
            f"Searches shorter than {MIN_INDEXED_CHARS} characters look only at the newest "
            f"{bound:,} logs of the window."
        )
    if len(columns) > MAX_COLUMNS:
        notices.append(
            f"At most {MAX_COLUMNS} metadata columns are shown; left out: "
            f"{', '.join(columns[MAX_COLUMNS:])}."
        )
        columns = columns[:MAX_COLUMNS]
    return LogQuery(
        params=selection.params,
        criteria=criteria,
        errors=errors,
        window_start=window_start,
        window_end=window_end,
        workspace=workspace,
        workspaces=workspaces,
        columns=columns,
        notices=notices,
    )


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
