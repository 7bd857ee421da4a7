"""The operator console's log pages: read-only, scoped to a person's workspaces.

The log changelist never counts and never pages with OFFSET: see `LogChangeList` and
docs/admin.md.
"""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.http import QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from logstore.admin import list_filters as filters
from logstore.core.jsoncodec import pretty
from logstore.exports.writers import export_response
from logstore.ingestion.searchtext import fold
from logstore.models import Log
from logstore.query.access import workspaces_for
from logstore.query.filters import LogFilter
from logstore.query.keyset import InvalidCursor
from logstore.query.presenters import cost_display
from logstore.storage import get_store
from logstore.storage.orm import criteria_q
from logstore.storage.port import LogCriteria, without_bodies
from logstore.templatetags.logstore_ui import format_time, short_id, status_badge

CURSOR_VAR = filters.CURSOR_VAR
# Logs one bulk delete removes: its confirmation posts their ids back, and Django refuses a
# form of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields.
MAX_BULK_DELETE = 500
SEARCH_PREFIXES = {
    "trace": "trace_id",
    "span": "span_id",
    "id": "id",
    "user": "user",
    "org": "organization",
}

admin.site.site_header = "Log store"
admin.site.site_title = "Log store"
admin.site.index_title = "Operator console"


def visible_workspaces(request):
    """The workspaces this person may see, read once per request."""
    cached = getattr(request, "_logstore_workspaces", None)
    if cached is None:
        cached = list(workspaces_for(request.user).only("id", "slug"))
        request._logstore_workspaces = cached
    return cached


def pretty_json(value):
    text, length = pretty(value)
    if len(text) == length:
        return format_html('<pre class="log-json">{}</pre>', text)
    return format_html(
        '<pre class="log-json">{}</pre><p class="help">Showing the first {} of {} characters; '
        "export the log as JSONL to read all of it.</p>",
        text,
        len(text),
        length,
    )


def search_criteria(term) -> dict:
    """The search box as criteria: `text:…` searches prompts and responses only; `trace:…`,
    `user:…` etc. match one column exactly; a bare term matches any column exactly, or the
    text (through its index). Empty when nothing can be searched for."""
    prefix, sep, rest = term.partition(":")
    if sep and prefix.lower() == "text":
        text = fold(rest).strip()
        return {"text": text} if text else {}
    pairs = search_pairs(term)
    if not (sep and prefix.lower() in SEARCH_PREFIXES):
        text = fold(term).strip()
        if text:
            pairs = (*pairs, ("search_text", text))
    return {"any_of": pairs} if pairs else {}


def search_pairs(term) -> tuple:
    """Exact matches only, each served by an index; `trace:…`, `user:…` etc. pick one column.

    (column, value) pairs of which a row must match one; none for a malformed id.
    """
    prefix, sep, rest = term.partition(":")
    if sep and prefix.lower() in SEARCH_PREFIXES and rest.strip():
        columns = [SEARCH_PREFIXES[prefix.lower()]]
        term = rest.strip()
    else:
        columns = list(SEARCH_PREFIXES.values())
    pairs = []
    for column in columns:
        if column == "id":
            try:
                pairs.append((column, UUID(term)))
            except ValueError:
                continue
        else:
            pairs.append((column, term))
    return tuple(pairs)


def changelist_criteria(request, changelist) -> LogCriteria:
    """What the changelist shows, for the log store: the sidebar filters whose parameters
    were valid, the search, and the workspaces this person may see."""
    params = QueryDict(mutable=True)
    for spec in changelist.filter_specs:
        for name, values in getattr(spec, "accepted_parameters", {}).items():
            params.setlist(name, values)
    scope = [ws.pk for ws in visible_workspaces(request)]
    nothing = False
    chosen = request.GET.get(filters.WorkspaceListFilter.parameter_name)
    if chosen is not None:
        nothing = chosen not in {str(pk) for pk in scope}
        scope = [int(chosen)] if not nothing else scope
    filterset = LogFilter(params)
    if not filterset.is_valid():  # each group was valid alone, and they share no parameter
        raise IncorrectLookupParameters(filterset.errors)
    criteria = filterset.criteria(workspace_ids=scope)
    term = (changelist.query or "").strip()
    changes = search_criteria(term) if term else {}
    # `id:` with something that is no UUID can match no log, rather than every log.
    return criteria.narrowed(**changes, nothing=nothing or bool(term and not changes))


class LogChangeList(ChangeList):
    """Keyset pages (`?cursor=`) instead of numbered pages; no COUNT(*) anywhere."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_filters(self, request):
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        # Raw field lookups from the URL (`?url__contains=`) would bypass LogFilter and scan:
        # say so, and show the list without them.
        if remaining:
            messages.warning(
                request,
                f"Ignored unknown filter(s): {', '.join(sorted(remaining))}. "
                "Use the filters in the sidebar (url_contains=… for a URL).",
            )
        return specs, has_filters, {}, duplicates, active

    def get_query_string(self, new_params=None, remove=None):
        new_params = {CURSOR_VAR: None, **(new_params or {})}
        return super().get_query_string(new_params, remove)

    def get_results(self, request):
        cursor = request.GET.get(CURSOR_VAR) or None
        self.criteria = changelist_criteria(request, self)
        # The changelist shows no URL either; it can be as long as a body.
        shown = {"columns": [c for c in without_bodies() if c != "url"], "with_workspace": True}
        try:
            page = get_store().page(self.criteria, after=cursor, size=self.list_per_page, **shown)
        except InvalidCursor as exc:
            messages.warning(request, f"{exc} Showing the newest logs.")
            cursor = None
            page = get_store().page(self.criteria, size=self.list_per_page, **shown)
        self.paginator = page
        self.result_list = page.rows
        self.result_count = len(page.rows)
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = page.older is not None or cursor is not None
        self.older_url = self.get_query_string({CURSOR_VAR: page.older}) if page.older else None
        self.newest_url = self.get_query_string() if cursor else None

    @property
    def search_hidden_inputs(self):
        return [
            (name, value)
            for name, values in self.filter_params.items()
            if name not in (SEARCH_VAR, CURSOR_VAR)
            for value in values
        ]


@admin.register(Log)
class LogAdmin(admin.ModelAdmin):
    list_display = (
        "time",
        "status_badge",
        "method",
        "provider_model",
        "user",
        "trace_link",
        "span_name",
        "latency",
        "total_tokens",
        "cost",
        "workspace",
    )
    list_display_links = ("time",)
    list_select_related = ("workspace",)
    list_filter = (
        filters.TimeRangeListFilter,
        filters.StatusClassListFilter,
        filters.StatusListFilter,
        filters.TraceListFilter,
        filters.ContainsListFilter,
        filters.ProviderListFilter,
        filters.ModelListFilter,
        filters.EnvironmentListFilter,
        filters.WorkspaceListFilter,
        filters.StreamingListFilter,
        filters.MetadataListFilter,
    )
    list_per_page = 50
    ordering = ("-created_at", "-id")
    sortable_by = ()
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = ("trace_id",)  # shows the box; get_search_results decides what matches
    search_help_text = (
        "Text in prompts and responses, or an exact trace id, span id, log id, user or "
        "organization. Prefix with text:, trace:, span:, id:, user: or org: to search one of "
        "them. Pick a time range to keep text searches fast."
    )
    actions = ["export_jsonl", "export_csv", "delete_logs"]
    readonly_fields = (
        "created_time",
        "received_time",
        "status_badge",
        "method",
        "url",
        "provider",
        "model",
        "latency",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost",
        "streaming",
        "is_success",
        "workspace",
        "api_key_display",
        "trace_link",
        "span_id",
        "parent_span_link",
        "span_name",
        "user_link",
        "organization",
        "environment",
        "request_json",
        "response_json",
        "metadata_json",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("created_time", "received_time"),
                    ("status_badge", "is_success", "streaming"),
                    ("method", "url"),
                    ("provider", "model"),
                    ("latency", "prompt_tokens", "completion_tokens", "total_tokens"),
                    ("cost",),
                    ("workspace", "api_key_display"),
                    ("user_link", "organization", "environment"),
                )
            },
        ),
        ("Trace", {"fields": ("trace_link", ("span_id", "span_name"), "parent_span_link")}),
        ("Request", {"fields": ("request_json",)}),
        ("Response", {"fields": ("response_json",)}),
        ("Metadata", {"fields": ("metadata_json",)}),
    )

    # --- scope and permissions ---------------------------------------------------------

    def visible_workspaces(self, request):
        return visible_workspaces(request)

    def get_queryset(self, request):
        # An explicit id list (not a subquery) lets PostgreSQL use every (workspace, …) index.
        ids = [ws.pk for ws in visible_workspaces(request)]
        return Log.objects.filter(workspace_id__in=ids)

    def get_object(self, request, object_id, from_field=None):
        try:
            pk = UUID(str(object_id))
        except ValueError:
            return None
        ids = [ws.pk for ws in visible_workspaces(request)]
        return get_store().get(pk, ids, with_workspace=True)

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def changelist_view(self, request, extra_context=None):
        # The app menu would take a third of the width the ten columns need.
        return super().changelist_view(
            request, {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if obj is None or user.is_superuser:
            return True
        return obj.workspace_id in {ws.pk for ws in visible_workspaces(request)}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Django's bulk delete confirms and deletes a queryset of the Django database's log
        # table, which holds no logs on ClickHouse; `delete_logs` asks the log store instead.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        get_store().delete([obj.pk], [ws.pk for ws in visible_workspaces(request)])

    # --- search --------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        # The changelist's rows come from the log store (`changelist_criteria`); this
        # queryset serves only the ORM's bulk delete of the ticked, or all listed, rows.
        term = search_term.strip()
        if not term:
            return queryset, False
        changes = search_criteria(term)
        if not changes:
            return queryset.none(), False  # as the list: `id:` with no UUID matches nothing
        return queryset.filter(criteria_q(LogCriteria(workspace_ids=None, **changes))), False

    # --- columns and fields -----------------------------------------------------------------

    def changelist_url(self, **params):
        return reverse("admin:logstore_log_changelist") + "?" + urlencode(params)

    @admin.display(description="time")
    def time(self, log):
        return format_time(log.created_at)

    @admin.display(description="created at")
    def created_time(self, log):
        return format_time(log.created_at)

    @admin.display(description="received at")
    def received_time(self, log):
        return format_time(log.received_at)

    @admin.display(description="status")
    def status_badge(self, log):
        return status_badge(log)

    @admin.display(description="provider / model")
    def provider_model(self, log):
        return format_html("{} / {}", log.provider or "—", log.model or "—")

    @admin.display(description="trace id")
    def trace_link(self, log):
        if not log.trace_id:
            return "—"
        return format_html(
            '<a href="{}" class="log-trace" title="{}">{}</a>',
            self.changelist_url(trace_id=log.trace_id),
            log.trace_id,
            short_id(log.trace_id),
        )

    @admin.display(description="latency")
    def latency(self, log):
        return "—" if log.latency_ms is None else f"{log.latency_ms} ms"

    @admin.display(description="cost")
    def cost(self, log):
        text = cost_display(log.cost_usd)
        return f"{text} ({log.price_source})" if log.price_source else text

    @admin.display(description="user")
    def user_link(self, log):
        if not log.user:
            return "—"
        return format_html(
            '<a href="{}" class="log-user">{}</a> (all logs of this user)',
            self.changelist_url(user=log.user),
            log.user,
        )

    @admin.display(description="API key")
    def api_key_display(self, log):
        return str(log.api_key) if log.api_key else "—"

    @admin.display(description="parent span")
    def parent_span_link(self, log):
        if not log.parent_span_id:
            return "— (root span)"
        parent_id = get_store().first_span(log.workspace_id, log.trace_id, log.parent_span_id)
        if parent_id is None:
            return format_html("{} (not stored)", log.parent_span_id)
        return format_html(
            '<a href="{}" class="log-parent">{}</a>',
            reverse("admin:logstore_log_change", args=[parent_id]),
            log.parent_span_id,
        )

    @admin.display(description="request")
    def request_json(self, log):
        return pretty_json(log.request)

    @admin.display(description="response")
    def response_json(self, log):
        return pretty_json(log.response)

    @admin.display(description="metadata")
    def metadata_json(self, log):
        return pretty_json(log.metadata)

    # --- actions ---------------------------------------------------------------------------

    def selected_criteria(self, request) -> LogCriteria:
        """The logs an action was asked for: the ticked rows, or everything the list shows."""
        if request.POST.get("select_across") == "1":
            return self.get_changelist_instance(request).criteria
        ids = []
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                ids.append(UUID(value))
            except ValueError:
                continue
        scope = [ws.pk for ws in visible_workspaces(request)]
        return LogCriteria(workspace_ids=tuple(scope), ids=tuple(ids), nothing=not ids)

    @admin.action(description="Export selected logs as JSONL", permissions=["view"])
    def export_jsonl(self, request, queryset):
        return export_response(self.selected_criteria(request), "jsonl")

    @admin.action(description="Export selected logs as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return export_response(self.selected_criteria(request), "csv")

    @admin.action(description="Delete selected logs", permissions=["delete"])
    def delete_logs(self, request, queryset):
        """Asks first, naming how many; then deletes exactly the logs it named, through the
        log store. At most MAX_BULK_DELETE at a time: retention (`prune_logs`) removes more."""
        scope = [ws.pk for ws in visible_workspaces(request)]
        if request.POST.get("post") == "yes":
            confirmed = self.selected_criteria(request)
            ids = [log.id for log in get_store().page(confirmed, size=MAX_BULK_DELETE).rows]
            get_store().delete(ids, scope)
            self.message_user(request, f"Deleted {len(ids)} log{'s' if len(ids) != 1 else ''}.")
            return None
        page = get_store().page(self.selected_criteria(request), size=MAX_BULK_DELETE, columns=())
        return TemplateResponse(
            request,
            "admin/logstore/log/delete_logs_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": "Delete logs",
                "opts": self.model._meta,
                "ids": [log.id for log in page.rows],
                "more": page.older is not None,
                "limit": MAX_BULK_DELETE,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
