"""Read-only admin pages for what the ingest API refused and per-key usage counters."""

from django.contrib import admin

from logstore.apikeys.usage import fold_usage
from logstore.models import ApiKeyUsage, RejectedRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False
    # Staff who are not superusers see only the workspaces they are members of.
    workspace_path = "workspace"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_path}__members": request.user})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RejectedRequest)
class RejectedRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "key_prefix", "workspace", "status_code", "reason", "path")
    list_filter = ("status_code",)
    search_fields = ("key_prefix", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("workspace",)
    fields = (
        "created_at",
        "workspace",
        "api_key",
        "key_prefix",
        "path",
        "status_code",
        "reason",
        "excerpt",
    )


@admin.register(ApiKeyUsage)
class ApiKeyUsageAdmin(ReadOnlyAdmin):
    workspace_path = "api_key__workspace"
    list_display = (
        "day",
        "api_key",
        "accepted_requests",
        "accepted_logs",
        "rejected_requests",
        "bytes_received",
    )
    list_filter = ("day",)
    list_select_related = ("api_key", "api_key__workspace")
    ordering = ("-day", "api_key")
    search_fields = ("api_key__prefix", "api_key__name")

    def changelist_view(self, request, extra_context=None):
        # `manage.py maintain` folds every ~30 s; folding now makes the page exact.
        fold_usage()
        return super().changelist_view(request, extra_context)
