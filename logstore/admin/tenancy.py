"""Tenancy in the operator console: workspaces and their API keys, scoped to a person's own."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.html import format_html

from logstore.models import ALL_SCOPES, API_KEY_PREFIX, ApiKey, Workspace
from logstore.query.access import workspaces_for


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Staff with model permissions still see only the workspaces they belong to."""

    workspace_field = "workspace"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_field}__in": workspaces_for(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workspace":
            kwargs["queryset"] = workspaces_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    workspace_field = "pk"
    list_display = ("name", "slug", "retention_days", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)
    fields = ("name", "slug", "retention_days", "members", "created_at")
    readonly_fields = ("created_at",)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in ALL_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=list(ALL_SCOPES),
    )

    class Meta:
        model = ApiKey
        fields = ["workspace", "name", "scopes"]


class KeyStateListFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "revoked":
            return queryset.revoked()
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(WorkspaceScopedAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "workspace",
        "key_prefix",
        "scope_list",
        "created_at",
        "last_used_at",
        "state",
    )
    list_select_related = ("workspace",)
    list_filter = (KeyStateListFilter, "workspace")
    search_fields = ("name", "prefix")
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["workspace", "name", "scopes"]
        return [
            "name",
            "scopes",
            "workspace",
            "key_prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["workspace", "key_prefix", "created_at", "last_used_at", "revoked_at"]

    def get_search_results(self, request, queryset, search_term):
        # People paste the whole key or its visible start: match on the prefix part.
        prefix = ApiKey.prefix_of(search_term.strip())
        if prefix:
            return queryset.filter(prefix=prefix), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="key")
    def key_prefix(self, key):
        return f"{API_KEY_PREFIX}{key.prefix}…"

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(key.scopes or [])

    @admin.display(description="state")
    def state(self, key):
        if key.revoked_at:
            return format_html('<span class="key-revoked">revoked {}</span>', key.revoked_at)
        return "active"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # ApiKey.generate owns how keys are made and hashed; the raw key lives only in this
        # request, to be shown once by response_add.
        key, raw = ApiKey.generate(obj.workspace, obj.name, obj.scopes)
        obj.pk = key.pk
        obj.refresh_from_db()
        obj._state.adding = False
        request._logstore_raw_key = raw

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_logstore_raw_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "opts": self.opts,
            "key": obj,
            "raw_key": raw,
            "change_url": reverse("admin:logstore_apikey_change", args=[obj.pk]),
            "changelist_url": reverse("admin:logstore_apikey_changelist"),
        }
        response = TemplateResponse(request, "admin/logstore/apikey/created.html", context)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True)
        return response

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for key in queryset.active():
            key.revoke()
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
