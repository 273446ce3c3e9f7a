"""Accepting several requests at once into one group claim (the inbox's "Accept into a group
case…"). The selection travels by POST only, never in an address. Each request's writer is
matched as on the request page: a certain match (intake.matches) is preselected, a possible one
is listed for the lawyer to decide; two requests of the same person in the selection are offered
as one. Submitting accepts all of them in one transaction, or none (services.submissions_accept_bulk).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, acting_user, require_permission, staff_view
from defensor.cases.procedures import suggested_kind
from defensor.cases.selectors import case_for, cases_for, group_cases_for
from defensor.core.errors import DefensorError
from defensor.intake import services
from defensor.intake.carry import given_date
from defensor.intake.matches import CERTAIN_WHY, certain_candidate, is_certain, names_patronymic
from defensor.intake.models import Submission
from defensor.intake.selectors import submissions_by_ids
from defensor.intake.triage_forms import BulkAcceptForm
from defensor.keys.keyring import KeyRing, keyring_for
from defensor.people.matching import REASON_LABELS, SUGGEST_THRESHOLD, Identity, scorer
from defensor.people.selectors import Candidate, match_candidates, people_for, person_for

# One accept is one transaction: a hundred requests take a few seconds (bench.triage).
MAX_BULK_ACCEPT = 100


@dataclass(repr=False)
class BulkRow:
    """One selected request as the bulk accept page shows it (decrypted for this page only)."""

    position: int
    submission: Submission
    readable: bool = False
    name: str = ""
    birth_date: str = ""
    unit: str = ""
    dismissal: str = ""
    kind: str = ""  # the kind of case the answers suggest (cases.procedures.suggested_kind)
    identity: Identity | None = None
    candidates: list[tuple[Candidate, list[str]]] = field(default_factory=list)
    certain: Candidate | None = None
    same_as: BulkRow | None = None
    # Earlier requests of the selection that may be the same person (scored at least
    # SUGGEST_THRESHOLD): offered as "the same person as request N". Offering every earlier request
    # made the page of a hundred requests five thousand radio buttons long.
    alike: list[BulkRow] = field(default_factory=list)
    field_name: str = ""
    bound: Any = None

    def __repr__(self) -> str:
        return f"<BulkRow {self.position}>"

    @property
    def preselected(self) -> str:
        if self.certain is not None:
            return str(self.certain.person_id)
        if self.same_as is not None:  # whoever the earlier request turns out to be, this is them too
            return f"same:{self.same_as.submission.pk}"
        return "new"


def _selected_ids(request: HttpRequest) -> list[str]:
    ids: list[str] = []
    for raw in request.POST.getlist("ids"):
        try:
            value = str(uuid.UUID(raw))
        except ValueError:
            continue
        if value not in ids:
            ids.append(value)
    return ids


def _rows(actor: User, keyring: KeyRing, submissions: list[Submission]) -> list[BulkRow]:
    rows: list[BulkRow] = []
    for position, submission in enumerate(submissions, start=1):
        row = BulkRow(position=position, submission=submission, field_name=f"person_{submission.pk}")
        rows.append(row)
        if submission.withdrawn_at is not None:
            continue
        try:
            answers = services.submission_answers(submission=submission, keyring=keyring)
        except (DefensorError, KeyError):
            continue
        details = services.person_details(answers)
        given = given_date(answers, "dismissal_order_date")
        row.readable, row.name, row.unit = True, details.full_name, details.unit or ""
        born = given_date({"born": details.birth_date}, "born")  # shown as 17.05.1990, not as stored
        row.birth_date = str(born) if born else str(details.birth_date or "")
        row.dismissal = str(given) if given else ""
        row.identity = details.identity()
        row.kind = suggested_kind(answers)
        opened: list[int] = []
        found = match_candidates(actor=actor, keyring=keyring, identity=row.identity, decrypted=opened)
        services.people_matched(reader=actor, submission=submission, people=opened, cases=[])
        row.candidates = [(c, [str(REASON_LABELS[r]) for r in c.reasons if r in REASON_LABELS]) for c in found]
        row.certain = certain_candidate(found, row.identity)
        scored = scorer(row.identity)
        for earlier in rows[:-1]:
            if earlier.identity is None:
                continue
            match = scored(earlier.identity)
            if match.score >= SUGGEST_THRESHOLD:
                row.alike.append(earlier)
            if row.certain is None and row.same_as is None and is_certain(
                    match.score, match.reasons, patronymic=names_patronymic(row.identity)):
                row.same_as = earlier
    services.submissions_read(reader=actor, submissions=[r.submission for r in rows if r.readable],
                              where="bulk_accept")
    return rows


def _person_choices(rows: list[BulkRow]) -> dict[str, list[tuple[str, str]]]:
    choices: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        options = [("new", _("a new person record"))]
        options += [(f"same:{earlier.submission.pk}",
                     _("the same person as request %(n)d") % {"n": earlier.position})
                    for earlier in row.alike if earlier.readable]
        options += [(str(c.person_id), f"{c.display} ({round(c.score * 100)} %)")
                    for c, _reasons in row.candidates if c.accessible]
        choices[str(row.submission.pk)] = options
    return choices


def _page(request: HttpRequest, actor: User, keyring: KeyRing, ids: list[str], *, submitted: bool
          ) -> HttpResponse:
    chosen = submissions_by_ids(actor=actor, ids=ids)
    if not chosen:  # forged or foreign ids: never an empty group claim
        messages.error(request, _("None of the selected requests was found. Select them again in the inbox."))
        return redirect("staff:inbox")
    chosen.sort(key=lambda s: (s.received_at, str(s.pk)))
    failure: services.BulkAcceptFailed | None = None
    status = 200
    if submitted:
        # Accepting needs no matching (it was shown on the page before): the posted choices are only
        # checked against what the lawyer may choose. The page is built again only if it fails.
        posted = _posted_form(request, actor, chosen)
        if posted.is_valid():
            outcome = _accept(request, actor, keyring, chosen, posted.cleaned_data)
            if isinstance(outcome, HttpResponse):
                return outcome
            failure, status = outcome, 409
        else:
            status = 400
    rows = _rows(actor, keyring, chosen)
    groups = group_cases_for(actor=actor, keyring=keyring)
    if groups and chosen:
        services.people_matched(reader=actor, submission=chosen[0], people=[],
                                cases=[case.pk for case, _title in groups])
    initial: dict[str, Any] = {row.field_name: row.preselected for row in rows}
    initial["case"] = "new"
    kinds = Counter(row.kind for row in rows if row.kind)
    if kinds:  # the new group claim's kind: what most of the requests suggest
        initial["case_kind"] = kinds.most_common(1)[0][0]
    form = BulkAcceptForm(
        request.POST if submitted else None, initial=initial, people=_person_choices(rows),
        cases=[(str(case.pk), f"{case.number} — {title}") for case, title in groups],
    )
    if submitted:
        form.is_valid()  # the errors, next to what was chosen
    for row in rows:
        row.bound = form[row.field_name]
    return render(request, "triage/accept_bulk.html", {
        "rows": rows,
        "form": form,
        "failure": failure,
        "failed_row": next((r for r in rows if failure and r.submission.pk == failure.submission_id), None),
        "certain_why": CERTAIN_WHY,
        "ids": [str(r.submission.pk) for r in rows],
    }, status=status)


def _posted_form(request: HttpRequest, actor: User, chosen: list[Submission]) -> BulkAcceptForm:
    """The submitted form, its choices limited to what the lawyer may choose: a new record, an
    earlier request of the selection, a person record they can read, a group claim they hold."""
    names = [f"person_{s.pk}" for s in chosen]
    wanted = {int(v) for v in (request.POST.get(n, "") for n in names) if v.isdigit()}
    readable = {str(pk) for pk in people_for(actor=actor).filter(pk__in=wanted).values_list("pk", flat=True)}
    people = {}
    for index, submission in enumerate(chosen):
        options = [("new", ""), *[(f"same:{earlier.pk}", "") for earlier in chosen[:index]]]
        people[str(submission.pk)] = options + [(pk, "") for pk in sorted(readable)]
    case = request.POST.get("case", "")
    held = case.isdigit() and cases_for(actor=actor).filter(group=True, pk=int(case)).exists()
    return BulkAcceptForm(request.POST, people=people, cases=[(case, "")] if held else [])


def _accept(
    request: HttpRequest, actor: User, keyring: KeyRing, chosen: list[Submission], data: dict[str, Any]
) -> HttpResponse | services.BulkAcceptFailed:
    choices = []
    for submission in chosen:
        value = data[f"person_{submission.pk}"]
        if value == "new":
            choices.append(services.BulkChoice(submission=submission))
        elif value.startswith("same:"):
            choices.append(services.BulkChoice(submission=submission, same_as=uuid.UUID(value[5:])))
        else:
            choices.append(services.BulkChoice(submission=submission,
                                               person=person_for(actor=actor, person_id=int(value))))
    case = None if data["case"] == "new" else case_for(actor=actor, case_id=int(data["case"]))
    try:
        done = services.submissions_accept_bulk(
            choices=choices, accepted_by=actor, keyring=keyring, case=case,
            case_title=data["case_title"], case_kind=data["case_kind"],
        )
    except services.BulkAcceptFailed as failure:
        return failure
    except DefensorError as error:
        messages.error(request, _("Nothing was accepted: %(reason)s") % {"reason": error.user_message})
        return redirect("staff:inbox")
    requests = len(done.accepted)
    messages.success(request, _("Accepted into case %(number)s: %(requests)s %(people)s.") % {
        "number": done.case.number,
        "requests": ngettext("%(n)d request", "%(n)d requests", requests) % {"n": requests},
        "people": ngettext("from %(n)d person", "from %(n)d people", done.claimants) % {"n": done.claimants},
    })
    left = len({a.claimant.pk for a in done.accepted if not a.claimant.is_open})
    if left:  # writing again does not bring back someone who left the claim
        messages.warning(request, ngettext(
            "%(n)d of them had left this claim: their status is unchanged. If they come back, change it on the "
            "roster.",
            "%(n)d of them had left this claim: their statuses are unchanged. If they come back, change them on "
            "the roster.", left) % {"n": left})
    return redirect("staff:case", case_id=done.case.pk)


def bulk_accept_page(request: HttpRequest) -> HttpResponse:
    """The page for the requests ticked in the inbox (called by inbox_bulk_view with its POST)."""
    return _bulk_accept(request, submitted=False)


def _bulk_accept(request: HttpRequest, *, submitted: bool) -> HttpResponse:
    actor = acting_user(request)
    require_permission(actor, Perm.CASES_OPEN)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again to accept requests."))
        return redirect("staff:inbox")
    ids = _selected_ids(request)
    if not ids:
        messages.error(request, _("Select at least one request."))
        return redirect("staff:inbox")
    if len(ids) > MAX_BULK_ACCEPT:
        messages.error(request, _("Select at most %(n)d requests to accept at once.") % {"n": MAX_BULK_ACCEPT})
        return redirect("staff:inbox")
    return _page(request, actor, keyring, ids, submitted=submitted)


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def bulk_accept_view(request: HttpRequest) -> HttpResponse:
    """The bulk accept page's own form: accept all, or show it again with what failed."""
    return _bulk_accept(request, submitted=True)
