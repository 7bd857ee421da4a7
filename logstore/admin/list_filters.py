"""Sidebar filters of the log changelist. Each one hands its query parameters to `LogFilter`.

The parameter names are LogFilter's own (`status_class`, `since`, `metadata`…), so an admin URL,
a web UI URL and a read-API query say the same thing the same way.
"""

from django.contrib import admin, messages
from django.http import QueryDict

from logstore.query.filters import STATUS_CLASSES, TIME_PRESETS, LogFilter
from logstore.storage import get_store
from logstore.storage.port import LogCriteria

# Suggestions for provider/model/environment come from this many newest rows, read through
# the (created_at, id) index: a bounded read instead of a DISTINCT over the whole table.
RECENT_WINDOW = 2000
CURSOR_VAR = "cursor"


def recent_values(request, workspace_ids):
    """Distinct provider, model and environment among the newest visible logs, once per request."""
    cached = getattr(request, "_logstore_recent_values", None)
    if cached is None:
        rows = get_store().recent_values(
            LogCriteria(workspace_ids=tuple(workspace_ids)),
            ("provider", "model", "environment"),
            RECENT_WINDOW,
        )
        columns = [set(), set(), set()]
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if value:
                    column.add(value)
        cached = {
            name: sorted(values)
            for name, values in zip(("provider", "model", "environment"), columns, strict=True)
        }
        request._logstore_recent_values = cached
    return cached


class LogFilterListFilter(admin.ListFilter):
    """Base: takes `parameters` out of the query string and filters through LogFilter."""

    parameters: tuple[str, ...] = ()

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.model_admin = model_admin
        for name in self.parameters:
            if name in params:
                values = [v for v in params.pop(name) if v.strip()]
                if values:
                    self.used_parameters[name] = values

    def expected_parameters(self):
        return list(self.parameters)

    def has_output(self):
        return True

    def value(self, name):
        values = self.used_parameters.get(name) or [""]
        return values[-1]

    def queryset(self, request, queryset):
        if not self.used_parameters:
            return queryset
        data = QueryDict(mutable=True)
        for name, values in self.used_parameters.items():
            data.setlist(name, values)
        filterset = LogFilter(data, queryset=queryset)
        if not filterset.is_valid():
            # Say what was wrong and leave this filter out, rather than hide the whole list.
            for errors in filterset.errors.values():
                messages.warning(request, f"{self.title}: {' '.join(errors)}")
            return queryset
        # The changelist asks the log store for these (`changelist_criteria`); the queryset
        # serves the ORM's bulk actions.
        self.accepted_parameters = dict(self.used_parameters)
        return filterset.qs

    def hidden_inputs(self, changelist):
        """The other active parameters, so submitting this filter's form keeps them."""
        pairs = []
        for name, values in changelist.filter_params.items():
            if name in self.parameters or name == CURSOR_VAR:
                continue
            pairs.extend((name, value) for value in values)
        return pairs


class ChoicesListFilter(LogFilterListFilter):
    """Links, one value at a time, for a parameter with a short fixed set of values."""

    options: tuple[tuple[str, str], ...] = ()

    def choices(self, changelist):
        (name,) = self.parameters
        current = self.value(name)
        yield {
            "selected": not current,
            "query_string": changelist.get_query_string(remove=[name]),
            "display": "All",
        }
        for value, label in self.options:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({name: value}),
                "display": label,
            }


class InputListFilter(LogFilterListFilter):
    """A small GET form: free text, optionally with suggestions."""

    template = "admin/logstore/log/filter_input.html"
    labels: dict[str, str] = {}
    input_type = "text"

    def suggestions(self, name):
        return []

    def choices(self, changelist):
        yield {
            "hidden": self.hidden_inputs(changelist),
            "fields": [
                {
                    "name": name,
                    "label": self.labels.get(name, name),
                    "value": self.value(name),
                    "type": self.input_type,
                    "suggestions": self.suggestions(name),
                }
                for name in self.parameters
            ],
            "clear": changelist.get_query_string(remove=list(self.parameters))
            if self.used_parameters
            else None,
        }


class StatusClassListFilter(ChoicesListFilter):
    title = "status class"
    parameters = ("status_class",)
    options = tuple((c, c) for c in STATUS_CLASSES if c != "1xx")


class StatusListFilter(InputListFilter):
    title = "exact status"
    parameters = ("status",)
    labels = {"status": "Status code(s), e.g. 429,503"}


class RecentValuesListFilter(InputListFilter):
    def suggestions(self, name):
        workspaces = self.model_admin.visible_workspaces(self.request)
        return recent_values(self.request, [ws.pk for ws in workspaces])[name]


class ProviderListFilter(RecentValuesListFilter):
    title = "provider"
    parameters = ("provider",)
    labels = {"provider": "Provider"}


class ModelListFilter(RecentValuesListFilter):
    title = "model"
    parameters = ("model",)
    labels = {"model": "Model"}


class EnvironmentListFilter(RecentValuesListFilter):
    title = "environment"
    parameters = ("environment",)
    labels = {"environment": "Environment"}


class StreamingListFilter(ChoicesListFilter):
    title = "streaming"
    parameters = ("streaming",)
    options = (("true", "Yes"), ("false", "No"))


class TraceListFilter(InputListFilter):
    title = "trace, span or user"
    parameters = ("trace_id", "span_id", "user", "organization")
    labels = {
        "trace_id": "Trace id(s)",
        "span_id": "Span id(s)",
        "user": "User",
        "organization": "Organization",
    }


class ContainsListFilter(InputListFilter):
    title = "text contains (any case)"
    parameters = ("model_contains", "user_contains", "url_contains", "span_name_contains")
    labels = {
        "model_contains": "Model contains",
        "user_contains": "User contains",
        "url_contains": "URL contains",
        "span_name_contains": "Span name contains",
    }


class MetadataListFilter(InputListFilter):
    title = "metadata"
    parameters = ("metadata",)
    labels = {"metadata": "key=value"}

    def choices(self, changelist):
        for choice in super().choices(changelist):
            # Repeated `metadata` pairs are ANDed: keep the active ones and add one more.
            choice["hidden"] += [("metadata", v) for v in self.used_parameters.get("metadata", [])]
            choice["fields"][0]["value"] = ""
            choice["active"] = self.used_parameters.get("metadata", [])
            yield choice


PRESET_LABELS = {"15m": "Last 15 minutes", "1h": "Last hour", "24h": "Last 24 hours"}


class TimeRangeListFilter(LogFilterListFilter):
    title = "time"
    parameters = ("since", "start", "end")
    template = "admin/logstore/log/filter_time.html"

    def choices(self, changelist):
        since = self.value("since")
        presets = [
            {
                "selected": not self.used_parameters,
                "query_string": changelist.get_query_string(remove=list(self.parameters)),
                "display": "Any time",
            }
        ]
        for key in TIME_PRESETS:
            presets.append(
                {
                    "selected": since == key,
                    "query_string": changelist.get_query_string(
                        {"since": key, "start": None, "end": None}
                    ),
                    "display": PRESET_LABELS.get(key, f"Last {key[:-1]} days"),
                }
            )
        yield {
            "presets": presets,
            "hidden": self.hidden_inputs(changelist),
            "start": self.value("start"),
            "end": self.value("end"),
        }


class WorkspaceListFilter(admin.SimpleListFilter):
    """Scoping, not filtering: the choices are the workspaces this person may see."""

    title = "workspace"
    parameter_name = "workspace"

    def lookups(self, request, model_admin):
        return [(str(ws.pk), ws.slug) for ws in model_admin.visible_workspaces(request)]

    def has_output(self):
        return len(self.lookup_choices) > 1

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        allowed = {value for value, _ in self.lookup_choices}
        if self.value() not in allowed:
            return queryset.none()
        return queryset.filter(workspace_id=int(self.value()))
