"""Issuing API keys from the command line and on first run."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from logstore.models import ALL_SCOPES, ApiKey, Workspace


def parse_scopes(text: str | None) -> list[str]:
    if not text:
        return list(ALL_SCOPES)
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValidationError(
            f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(ALL_SCOPES)}."
        )
    return scopes


@transaction.atomic
def issue_key(workspace_slug: str, name: str, scopes: list[str] | None = None):
    """Create a key, and its workspace if needed. Returns (api_key, raw_key)."""
    slug = slugify(workspace_slug)
    if not slug:
        raise ValidationError("The workspace slug must contain letters or digits.")
    workspace, _ = Workspace.objects.get_or_create(
        slug=slug, defaults={"name": workspace_slug.replace("-", " ").title()}
    )
    return ApiKey.generate(workspace, name, scopes)
