from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ingest.urls")),
]

handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
