"""The court bundle's pages: choose a case's items and ask for the bundle (one page, which follows
the building by itself), then download it — only as an attachment, as the evidence downloads are.
A case the user does not hold is 404."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from defensor.accounts.permissions import acting_user
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.evidence.access import evidence_view
from defensor.evidence.bundle import BundleNotReady, bundle_file_name, bundle_open, bundle_request, bundles_of
from defensor.evidence.models import Bundle, BundleStatus, ItemStatus
from defensor.evidence.services import BlobDamaged, items_of
from defensor.keys.keyring import keyring_for

SLOW_MINUTES = 10  # a bundle still waiting after this long: the worker may have stopped
FAILURES = {
    "worker_restarted": gettext_lazy("The background worker restarted before building this bundle. "
                                     "Please ask for it again."),
    "key_rotated": gettext_lazy("The case's keys were replaced meanwhile. Please ask for the bundle again."),
    "custody_broken": gettext_lazy("An item's stored copy or chain of custody has been changed, so it is not bundled. "
                        "Please tell the administrator: “defensor evidence verify” shows what is wrong."),
    "blob_changed": gettext_lazy("An item's stored copy has been changed or damaged, so it is not bundled. "
                      "Please tell the administrator: “defensor evidence verify” shows what is wrong."),
    "item_gone": gettext_lazy("An item chosen for the bundle is no longer in the case. Please choose again."),
}
FAILED = gettext_lazy("The bundle could not be built. Please ask for it again; if it fails again, tell the "
                      "administrator.")


def _page(request: HttpRequest, case_id: int) -> str:
    return reverse("staff:evidence-bundle", args=[case_id])


@evidence_view
@require_http_methods(["GET", "POST"])
def evidence_bundle_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(reverse("staff:case", args=[case.pk]))
    chosen = request.POST.getlist("items") if request.method == "POST" else []
    status = 200
    if request.method == "POST":
        try:
            bundle = bundle_request(case=case, item_ids=chosen, requested_by=actor, keyring=keyring)
        except DefensorError as error:
            messages.error(request, str(error.user_message))
            status = 400
        else:
            if bundle.status == BundleStatus.DONE:
                messages.success(request, _("The bundle is ready to download."))
            elif bundle.status == BundleStatus.QUEUED:
                messages.success(request, _("The bundle is being built: this page shows when it is ready."))
            return redirect(_page(request, case.pk))
    items = items_of(case=case, actor=actor)
    rows = []
    for item in items:
        values = item.decrypt(keyring, only=("name", "size"))
        rows.append({"item": item, "name": values.name or "", "size": int(values.size or 0),
                     "status": ItemStatus(item.status).label, "checked": str(item.pk) in chosen})
    bundles = bundles_of(case=case, actor=actor)
    waiting = [b for b in bundles if b.status == BundleStatus.QUEUED]
    slow_since = timezone.now() - timedelta(minutes=SLOW_MINUTES)
    return render(request, "evidence/bundle.html", {
        "case": case, "rows": rows, "bundles": [(b, FAILURES.get(b.failure, FAILED)) for b in bundles],
        "pending": bool(waiting), "slow": any(b.requested_at < slow_since for b in waiting),
    }, status=status)


@evidence_view
@require_GET
def evidence_bundle_download_view(request: HttpRequest, case_id: int, bundle_id: str) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    bundle = Bundle.objects.filter(case=case, pk=bundle_id).select_related("case__organisation").first()
    if bundle is None:
        raise Http404
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(_page(request, case.pk))
    try:
        size, chunks = bundle_open(bundle=bundle, reader=actor, keyring=keyring)
    except (BlobDamaged, BundleNotReady) as error:
        messages.error(request, str(error.user_message))
        return redirect(_page(request, case.pk))
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(True, bundle_file_name(bundle)) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]  # staff_view's type knows HttpResponse only
