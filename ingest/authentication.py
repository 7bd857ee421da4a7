"""API-key authentication: `x-portkey-api-key: <key>` or `Authorization: Bearer <key>`.

Views may list methods in `cached_key_methods` whose write checks the key itself
(logstore.apikeys.charge): for those, a key this process verified before is served from memory,
with no query; the write refuses it if it was revoked or changed since. Every other request
looks its key up, so revocation takes effect on the very next request in every worker either way.
"""

import threading
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


class VerifiedKeys:
    """Active keys this process verified, by their hash (what ApiKey stores)."""

    MAX_KEYS = 10_000

    def __init__(self):
        self._lock = threading.Lock()
        self._keys = {}

    def get(self, hashed):
        return self._keys.get(hashed)

    def remember(self, key):
        with self._lock:
            if len(self._keys) >= self.MAX_KEYS:
                self._keys.clear()
            self._keys[key.hashed_key] = key

    def forget(self, key):
        with self._lock:
            self._keys.pop(key.hashed_key, None)


verified_keys = VerifiedKeys()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = raw_key_from(request)
        if not raw:
            return None
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if request.method in getattr(view, "cached_key_methods", ()):
            key = verified_keys.get(ApiKey.hash(raw))
            if key is not None:
                self._touch(key)
                return ApiKeyPrincipal(key), key
        prefix = ApiKey.prefix_of(raw)
        key = None
        if prefix:
            key = ApiKey.objects.select_related("workspace").filter(prefix=prefix).first()
        if key is None or not key.matches(raw):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if not key.is_active:
            verified_keys.forget(key)
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        verified_keys.remember(key)
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
        key.last_used_at = now  # a cached key is not looked up again: remember the touch
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
