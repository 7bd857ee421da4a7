"""API-key authentication: `x-portkey-api-key: <key>` or `Authorization: Bearer <key>`."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from logstore.models import ApiKey

# Writing last_used_at on every request would turn each insert into two writes on one hot row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyPrincipal:
    """The `request.user` of a key-authenticated request."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return f"api-key:{self.api_key.prefix}"


def raw_key_from(request) -> str:
    key = request.META.get("HTTP_X_PORTKEY_API_KEY", "").strip()
    if key:
        return key
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return ""


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = raw_key_from(request)
        if not raw:
            return None
        prefix = ApiKey.prefix_of(raw)
        key = None
        if prefix:
            key = ApiKey.objects.select_related("workspace").filter(prefix=prefix).first()
        if key is None or not key.matches(raw):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if not key.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        self._touch(key)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request):
        # A value here makes DRF answer 401 rather than 403 to unauthenticated requests.
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(key):
        now = timezone.now()
        if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
            return
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
