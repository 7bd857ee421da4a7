from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ingest.urls")),
]

handler404 = "project.views.not_found"
handler500 = "project.views.server_error"

if settings.LOGSTORE_BENCH_ENDPOINTS:
    from ingest.benchviews import NoDatabaseView

    urlpatterns += [path("bench/no-database", NoDatabaseView.as_view(), name="bench-no-database")]
