"""Portkey's log export API: thin views over `logstore.exports`."""

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.errors import InvalidRequest, error_body
from ingest.parsers import json_body
from ingest.serializers.exports import (
    ExportActionSerializer,
    ExportCreatedSerializer,
    ExportDownloadSerializer,
    ExportListSerializer,
    ExportRequestSerializer,
    ExportSerializer,
)
from ingest.validation import validated_or_400
from logstore.exports import jobs as service
from logstore.exports import tasks
from logstore.models import SCOPE_LOGS_EXPORT

WORKSPACE_PARAMETER = OpenApiParameter(
    "workspace_id", OpenApiTypes.STR, description="Must be the key's own workspace, if sent."
)


def check_workspace(request, workspace_id):
    """Keys reach their own workspace only; naming another is refused, not ignored."""
    workspace = request.auth.workspace
    if workspace_id in (None, "", workspace.slug, str(workspace.pk)):
        return workspace
    raise exceptions.PermissionDenied(
        f"This API key belongs to workspace {workspace.slug!r}; it cannot reach {workspace_id!r}."
    )


def body_of(request) -> dict:
    data = json_body(request)
    if not isinstance(data, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return validated_or_400(ExportRequestSerializer, data, "export")


def export_or_404(request, export_id):
    export = service.get_export(request.auth.workspace, export_id)
    if export is None:
        raise exceptions.NotFound("No export with this id.")
    return export


class ExportCollectionView(APIView):
    required_scope = SCOPE_LOGS_EXPORT

    @extend_schema(
        operation_id="logs_exports_create",
        summary="Create an export job (a draft)",
        request=ExportRequestSerializer,
        responses={200: ExportCreatedSerializer},
        tags=["exports"],
    )
    def post(self, request):
        body = body_of(request)
        workspace = check_workspace(request, body.get("workspace_id"))
        export = service.create_export(
            workspace,
            filters=body.get("filters"),
            requested_data=body.get("requested_data"),
            description=body.get("description"),
            created_by=request.auth.name,
        )
        return Response({**service.export_as_dict(export), "total": export.total_records})

    @extend_schema(
        operation_id="logs_exports_list",
        summary="The workspace's export jobs, newest first",
        parameters=[WORKSPACE_PARAMETER],
        responses={200: ExportListSerializer},
        tags=["exports"],
    )
    def get(self, request):
        workspace = check_workspace(request, request.query_params.get("workspace_id"))
        data = [service.export_as_dict(e) for e in service.list_exports(workspace)]
        return Response({"object": "list", "total": len(data), "data": data})


class ExportDetailView(APIView):
    required_scope = SCOPE_LOGS_EXPORT
    documented_errors = (409,)

    @extend_schema(
        operation_id="logs_exports_retrieve",
        summary="One export job, with its progress",
        responses={200: ExportSerializer},
        tags=["exports"],
    )
    def get(self, request, export_id):
        return Response(service.export_as_dict(export_or_404(request, export_id)))

    @extend_schema(
        operation_id="logs_exports_update",
        summary="Change a draft export's filters, fields or description",
        request=ExportRequestSerializer,
        responses={200: ExportCreatedSerializer},
        tags=["exports"],
    )
    def put(self, request, export_id):
        body = body_of(request)
        check_workspace(request, body.get("workspace_id"))
        export = export_or_404(request, export_id)
        export = service.update_export(
            export,
            filters=body.get("filters"),
            requested_data=body.get("requested_data"),
            description=body.get("description"),
        )
        return Response({**service.export_as_dict(export), "total": export.total_records})


def _action_reply(export, message):
    return Response(
        {"message": message, "object": "export", "id": str(export.pk), "status": export.status}
    )


class ExportStartView(APIView):
    required_scope = SCOPE_LOGS_EXPORT
    documented_errors = (409,)

    @extend_schema(
        operation_id="logs_exports_start",
        summary="Start a draft export in the background",
        request=None,
        responses={200: ExportActionSerializer},
        tags=["exports"],
    )
    def post(self, request, export_id):
        export = export_or_404(request, export_id)
        export = service.start_export(export, tasks.enqueue_export)
        return _action_reply(export, "Export started")


class ExportCancelView(APIView):
    required_scope = SCOPE_LOGS_EXPORT
    documented_errors = (409,)

    @extend_schema(
        operation_id="logs_exports_cancel",
        summary="Stop a draft or running export",
        request=None,
        responses={200: ExportActionSerializer},
        tags=["exports"],
    )
    def post(self, request, export_id):
        export = export_or_404(request, export_id)
        export = service.cancel_export(export)
        return _action_reply(export, "Export stopped")


class ExportDownloadView(APIView):
    required_scope = SCOPE_LOGS_EXPORT
    documented_errors = (409,)

    @extend_schema(
        operation_id="logs_exports_download",
        summary="A time-limited URL of a finished export's JSONL file",
        responses={200: ExportDownloadSerializer},
        tags=["exports"],
    )
    def get(self, request, export_id):
        export = export_or_404(request, export_id)
        token = service.download_token(export)
        url = request.build_absolute_uri(reverse("api-export-file", kwargs={"token": token}))
        return Response(
            {"signed_url": url, "url": url, "expires_in": settings.LOGSTORE_EXPORT_URL_MAX_AGE}
        )


def export_file(request, token):
    """The JSONL file behind a signed URL; the signature is the only credential it needs."""
    found = service.file_for_token(token, settings.LOGSTORE_EXPORT_URL_MAX_AGE)
    if found is None:
        return JsonResponse(
            error_body("This download link is invalid or has expired.", "not_found"), status=404
        )
    export, path = found
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"export-{export.pk}.jsonl",
        content_type="application/x-ndjson",
    )
