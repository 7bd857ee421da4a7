"""API routes. Every path is served with and without the `/v1` prefix, and tolerates the
doubled slash the JS SDK produces from a base URL that ends in `/`."""

from django.urls import re_path

from ingest import views


def api_path(route, view, name):
    return re_path(rf"^[/]*(?:v1/+)?{route}/?$", view, name=name)


LOG_ID = (
    r"(?P<log_id>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})"
)

urlpatterns = [
    api_path("logs", views.LogCollectionView.as_view(), "api-logs"),
    api_path(rf"logs/+{LOG_ID}", views.LogDetailView.as_view(), "api-log-detail"),
]
