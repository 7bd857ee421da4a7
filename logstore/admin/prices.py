"""Price overrides in the operator console: an operator's $/M-token prices per model, for one
workspace or for all, preferred over the bundled table for logs stored from then on
(`manage.py reprice_logs` applies them to older logs)."""

from django.contrib import admin
from django.db.models import Q

from logstore.models import ModelPrice
from logstore.pricing.overrides import describe
from logstore.query.access import workspaces_for


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = (
        "model",
        "match",
        "provider",
        "scope",
        "input_per_mtok",
        "output_per_mtok",
        "cached_input_per_mtok",
        "valid_from",
    )
    list_filter = ("match", "provider")
    search_fields = ("model", "provider")
    fields = (
        "workspace",
        "provider",
        "model",
        "match",
        "input_per_mtok",
        "output_per_mtok",
        "cached_input_per_mtok",
        "valid_from",
        "summary",
    )
    readonly_fields = ("summary",)

    @admin.display(description="Workspace", ordering="workspace__slug")
    def scope(self, price):
        return price.workspace.slug if price.workspace_id else "(all workspaces)"

    @admin.display(description="In effect")
    def summary(self, price):
        return describe(price) if price.pk else "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("workspace")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            Q(workspace__in=workspaces_for(request.user)) | Q(workspace__isnull=True)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workspace":
            kwargs["queryset"] = workspaces_for(request.user)
            # Only a superuser may set a price for every workspace.
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.workspace_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.workspace_id is None and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
