from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from logstore.observability.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("logstore/favicon.svg"), permanent=True)),
    path("", include("ingest.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("logstore.web.urls")),
]

handler400 = "project.views.bad_request"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"

if settings.LOGSTORE_BENCH_ENDPOINTS:
    from ingest.benchviews import NoDatabaseView

    urlpatterns += [path("bench/no-database", NoDatabaseView.as_view(), name="bench-no-database")]
