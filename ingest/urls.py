"""API routes. Every path is served with and without the `/v1` prefix, and tolerates the
doubled slash the JS SDK produces from a base URL that ends in `/`."""

from django.urls import re_path

from ingest import openapi
from ingest.views import exports, feedback, otel
from ingest.views import logs as views


def api_path(route, view, name):
    return re_path(rf"^[/]*(?:v1/+)?{route}/?$", view, name=name)


LOG_ID = (
    r"(?P<log_id>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})"
)

EXPORT_ID = LOG_ID.replace("log_id", "export_id")
FEEDBACK_ID = LOG_ID.replace("log_id", "feedback_id")

urlpatterns = [
    # OTLP exporters append /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, Portkey's being .../v1/otel.
    api_path("(?:otel/+)?v1/+traces", otel.OtlpTracesView.as_view(), "api-otlp-traces"),
    api_path("logs", views.LogCollectionView.as_view(), "api-logs"),
    api_path(rf"logs/+{LOG_ID}", views.LogDetailView.as_view(), "api-log-detail"),
    api_path("logs/+exports", exports.ExportCollectionView.as_view(), "api-exports"),
    api_path(rf"logs/+exports/+{EXPORT_ID}", exports.ExportDetailView.as_view(), "api-export"),
    api_path(
        rf"logs/+exports/+{EXPORT_ID}/+start", exports.ExportStartView.as_view(), "api-export-start"
    ),
    api_path(
        rf"logs/+exports/+{EXPORT_ID}/+cancel",
        exports.ExportCancelView.as_view(),
        "api-export-cancel",
    ),
    api_path(
        rf"logs/+exports/+{EXPORT_ID}/+download",
        exports.ExportDownloadView.as_view(),
        "api-export-download",
    ),
    api_path(r"logs/+exports/+files/+(?P<token>[\w:.-]+)", exports.export_file, "api-export-file"),
    api_path("feedback", feedback.FeedbackCollectionView.as_view(), "api-feedback"),
    api_path(
        rf"feedback/+{FEEDBACK_ID}", feedback.FeedbackDetailView.as_view(), "api-feedback-detail"
    ),
    api_path(r"openapi\.json", openapi.SchemaView.as_view(), "api-openapi"),
    api_path("docs", openapi.SwaggerView.as_view(), "api-docs"),
    api_path("docs/+redoc", openapi.RedocView.as_view(), "api-docs-redoc"),
]
