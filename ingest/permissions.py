"""Scope checks: each API view names the scope its key must carry."""

from rest_framework import exceptions, permissions


class HasScope(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(
                "Missing API key: send it in the x-portkey-api-key header."
            )
        scope = getattr(view, "required_scopes", {}).get(request.method) or getattr(
            view, "required_scope", None
        )
        if scope and not request.auth.has_scope(scope):
            raise exceptions.PermissionDenied(f"This API key does not have the '{scope}' scope.")
        return True
