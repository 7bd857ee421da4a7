"""Routes of the web UI, mounted at the site root (after the API's `/logs` routes)."""

from urllib.parse import quote, unquote

from django.urls import path, re_path, register_converter

from logstore.web import views

app_name = "web"


class TraceIdConverter:
    """Any trace id as one path segment, so a link always opens its own trace.

    A raw `x/../victim` would be resolved by the browser to `victim`. `/`, `%` and the
    whole-segment `.` and `..` are percent-encoded here, and Django's reverse() encodes that
    `%` once more, so neither the browser nor the server's decoding can change the id.
    """

    regex = ".+"

    def to_python(self, value):
        return unquote(value)

    def to_url(self, value):
        text = quote(str(value), safe="")
        return text.replace(".", "%2E") if text in {".", ".."} else text


register_converter(TraceIdConverter, "trace_id")

urlpatterns = [
    path("", views.log_list, name="log-list"),
    path("tail/", views.log_tail, name="log-tail"),
    path("log/<uuid:log_id>/", views.log_detail, name="log-detail"),
    path("log/<uuid:log_id>/panel/", views.span_panel, name="span-panel"),
    path("traces/<trace_id:trace_id>/", views.trace_detail, name="trace"),
    path("charts/", views.charts, name="charts"),
    path("users/", views.users, name="users"),
    re_path(r"^export\.(?P<fmt>csv|jsonl)$", views.export, name="export"),
    path("saved-filters/", views.saved_filter_create, name="saved-filter-create"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete, name="saved-filter-delete"),
    path("metadata-keys/", views.metadata_keys, name="metadata-keys"),
    path("suggest/<str:field>/", views.suggest, name="suggest"),
]
