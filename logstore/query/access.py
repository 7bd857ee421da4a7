"""Which workspaces, and so which logs, a signed-in person may see."""

from logstore.models import Workspace


def workspaces_for(user):
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def scope_for(user):
    """The workspace ids whose logs `user` may read, for the log store; None means all."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return list(workspaces_for(user).values_list("pk", flat=True))
