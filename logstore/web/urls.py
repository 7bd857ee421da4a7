"""Routes of the web UI, mounted at the site root (after the API's `/logs` routes)."""

from django.urls import path, re_path

from logstore.web import views

app_name = "web"

urlpatterns = [
    path("", views.log_list, name="log-list"),
    path("tail/", views.log_tail, name="log-tail"),
    path("log/<uuid:log_id>/", views.log_detail, name="log-detail"),
    path("log/<uuid:log_id>/panel/", views.span_panel, name="span-panel"),
    path("traces/<path:trace_id>/", views.trace_detail, name="trace"),
    path("charts/", views.charts, name="charts"),
    path("users/", views.users, name="users"),
    re_path(r"^export\.(?P<fmt>csv|jsonl)$", views.export, name="export"),
    path("saved-filters/", views.saved_filter_create, name="saved-filter-create"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete, name="saved-filter-delete"),
    path("metadata-keys/", views.metadata_keys, name="metadata-keys"),
    path("suggest/<str:field>/", views.suggest, name="suggest"),
]
