"""Writes that check their API key themselves (logstore.apikeys.charge), for the API's views.

A view with `ChargedWriteMixin` serves its write methods with the key this worker cached (no
lookup): the write checks the key's version and records the request's usage in the statement
that stores the logs. A stale key is looked up afresh once (401 if revoked, 403 if it lost the
scope); a request refused before its write re-checks the key, so a revoked key always hears
that it is revoked.
"""

from rest_framework import exceptions

from ingest.authentication import verified_keys
from logstore.apikeys.charge import KeyCharge, KeyRefused
from logstore.models import ApiKey
from logstore.observability.health import unavailable_dependency


class ChargedWriteMixin:
    cached_key_methods = frozenset({"POST"})

    def handle_exception(self, exc):
        request = self.request
        # Without its database the key cannot be re-checked, and trying waits for it again.
        if (
            unavailable_dependency(exc) != "database"
            and request.method in self.cached_key_methods
            and isinstance(request.auth, ApiKey)
            and not getattr(request._request, "usage_charged", False)
            and not ApiKey.objects.active().filter(pk=request.auth.pk).exists()
        ):
            verified_keys.forget(request.auth)
            request._not_authenticated()
            exc = exceptions.AuthenticationFailed("This API key has been revoked.")
        return super().handle_exception(exc)

    def store_charged(self, request, store, nbytes):
        """`store(workspace, api_key, charge=...)` under this request's KeyCharge."""
        try:
            return self._charged(request, store, nbytes)
        except KeyRefused:
            verified_keys.forget(request.auth)
            request._authenticate()
            self.check_permissions(request)
            try:
                return self._charged(request, store, nbytes)
            except KeyRefused:
                raise exceptions.AuthenticationFailed("This API key has been revoked.") from None

    @staticmethod
    def _charged(request, store, nbytes):
        charge = KeyCharge.for_request(request.auth, nbytes)
        result = store(request.auth.workspace, request.auth, charge=charge)
        # Tells ingest.accounting whether the write counted the request already.
        request._request.usage_charged = result.charged
        return result
