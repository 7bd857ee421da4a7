"""A no-database endpoint for `make bench`: the floor a DRF POST costs on this server.

Routed only when LOGSTORE_BENCH_ENDPOINTS=true (off by default, and a start-up warning when on).
"""

from django.core import checks
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class NoDatabaseView(APIView):
    """Parses the body like POST /logs does, then answers without touching the database."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        payload = request.data
        count = len(payload) if isinstance(payload, list) else 1
        return Response({"status": "success", "message": f"{count} parsed, none stored"})


@checks.register(checks.Tags.security, deploy=True)
def bench_endpoints_are_off(app_configs, **kwargs):
    from django.conf import settings

    if not settings.LOGSTORE_BENCH_ENDPOINTS:
        return []
    return [
        checks.Warning(
            "LOGSTORE_BENCH_ENDPOINTS is on: an unauthenticated /bench/ endpoint is served.",
            hint="Unset it outside benchmarks.",
            id="logstore.W010",
        )
    ]
