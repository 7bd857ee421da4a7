"""A no-database endpoint for `make bench`: the floor a DRF POST costs on this server.

Routed only when LOGSTORE_BENCH_ENDPOINTS=true (off by default; `check --deploy` warns when on).
"""

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
