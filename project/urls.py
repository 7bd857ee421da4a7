from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ingest.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("logstore.web.urls")),
]

handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
