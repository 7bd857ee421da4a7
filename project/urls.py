from django.contrib import admin
from django.urls import include, path

from logstore.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("", include("ingest.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("logstore.web.urls")),
]

handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
