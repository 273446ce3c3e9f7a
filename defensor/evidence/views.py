"""The evidence pages: a staff upload into a case, and a download. Never shown inline: a file goes
out only as an attachment, as octet-stream, with nosniff and a sandboxing CSP. A case the user does
not hold is 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.permissions import acting_user
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.core.middleware import csrf_protect
from defensor.evidence.access import evidence_view
from defensor.evidence.models import EvidenceItem, Source
from defensor.evidence.services import BlobDamaged, item_ingest_sealed, item_open
from defensor.evidence.uploads import EvidenceUploadHandler, SealedUpload
from defensor.keys.keyring import keyring_for


def _section(case_id: int) -> str:
    return reverse("staff:case", args=[case_id]) + "#evidence"


@csrf_protect
def _upload(request: HttpRequest, case_id: int, handler: EvidenceUploadHandler, kept: set[str]) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    upload = request.FILES.get("file")
    for error in handler.errors:
        messages.error(request, error)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(_section(case.pk))
    if not isinstance(upload, SealedUpload):
        if not handler.errors:
            messages.error(request, _("Please choose a file."))
        return redirect(_section(case.pk))
    try:
        item = item_ingest_sealed(case=case, source=Source.UPLOAD, sealed=upload.sealed, name=upload.name or "file",
                                  added_by=actor, keyring=keyring)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        kept.add(item.blob)
        messages.success(request, _("The file was added to the evidence as No. %(number)d.") % {"number": item.number})
    return redirect(_section(case.pk))


@csrf_exempt
@evidence_view
@require_POST
def evidence_upload_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The encrypting handler goes in before the body is read, and only for someone who holds the
    case; CSRF is checked after (our middleware); blobs not recorded are removed."""
    case_for(actor=acting_user(request), case_id=case_id)
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    kept: set[str] = set()
    try:
        return _upload(request, case_id, handler, kept)
    finally:
        handler.remove_unkept(kept)


@evidence_view
@require_GET
def evidence_download_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    item = EvidenceItem.objects.filter(case=case, pk=item_id).select_related("case").first()
    if item is None:
        raise Http404
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(_section(case.pk))
    try:
        values, chunks = item_open(item=item, reader=actor, keyring=keyring, purpose="download")
    except BlobDamaged as error:
        messages.error(request, str(error.user_message))
        return redirect(_section(case.pk))
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    # The sealed size: a download cut short by a changed blob is visibly incomplete (keys.streams).
    response["Content-Length"] = str(values.size or 0)
    response["Content-Disposition"] = content_disposition_header(True, values.name or "file") or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]  # staff_view's type knows HttpResponse only
