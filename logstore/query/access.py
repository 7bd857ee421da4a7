"""Which workspaces, and so which logs, a signed-in person may see."""

from logstore.models import Log, Workspace


def workspaces_for(user):
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def logs_for(user):
    if getattr(user, "is_superuser", False) and user.is_active:
        return Log.objects.all()
    return Log.objects.filter(workspace__in=workspaces_for(user).values("pk"))
