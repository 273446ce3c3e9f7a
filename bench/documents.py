"""Drafting the group claim (the built-in administrative claim, CAS ch. 22) for 115 claimants: the
whole path a lawyer's request takes — every claimant's record decrypted, each name declined, the
DOCX filled in, sealed under the case's key and saved — against the same claim for one claimant.

Figures (bench/results/documents.json):
  group_claim_115_s        median seconds to draft the claim for 115 claimants as a DOCX, PDF off;
                           115 is 20 or more, so this is a collective claim with 115 joinder statements
                           (target: under 2 s). Without a worker the request converts to PDF too
                           where LibreOffice is installed: add pdf_115_s for that path.
  group_claim_1_s          the same for one claimant (the baseline)
  group_claim_115_vs_1     the ratio
  render_115_s             of the 115-claimant time, filling the DOCX alone (docxtpl)
  snapshot_115_s           of it, gathering and declining the data (decrypting 115 records)
  pdf_115_s                converting the 115-claimant DOCX to PDF with LibreOffice (-1: not installed),
                           on top of group_claim_115_s wherever the PDF is made
  docx_kb_115              size of the 115-claimant document
  collective_25_with_joinders_s
                           median seconds to draft a collective claim (КАС ст. 42) of 25 claimants,
                           with its 25 joinder statements, timed like group_claim_115_s
  group_reinstatement_115_s
                           median seconds to draft the reinstatement claim (ГПК) for 115 special-rank
                           employees with their monthly pay: each one's pay for the enforced absence
                           calculated, a demand per claimant and the calculation page (target: under 2 s)
Quick mode: 5 rounds; BENCH_FULL=1: 11.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta

from bench.common import FULL, cleanup, print_table, setup_django, write_results
from bench.dedupe import Population, make_team

SEED = 20261130
SIZES = (1, 25, 115)  # 25: a collective claim (20 or more), one joinder statement per member; before 115,
# which turns the PDF on for its own timing


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from django.conf import settings
    from django.db import transaction

    from defensor.cases import services as cases
    from defensor.documents.catalogue import builtin_templates
    from defensor.documents.context import document_snapshot
    from defensor.documents.models import DocumentStatus, GeneratedDocument
    from defensor.documents.render import pdf_converter, pdf_from_docx, render_docx
    from defensor.documents.services import document_request
    from defensor.keys.keyring import KeyRing
    from defensor.keys.worker import worker_identity_stop
    from defensor.people.services import person_create, person_update

    worker_identity_stop()  # no worker: the document is written in the request, timed whole
    settings.DEFENSOR_DOCUMENTS_PDF = False  # the PDF (the worker's, optional) is timed on its own
    rounds = 11 if FULL else 5
    rng = random.Random(SEED)
    population = Population(rng)
    team = make_team()
    team.lawyer.document_name = "Смирнова Анна Викторовна"
    team.lawyer.document_credentials = "адвокат Адвокатской палаты Курской области, рег. № 46/123"
    team.lawyer.document_contacts = "305000, г. Курск, ул. Ленина, д. 1"
    team.lawyer.save()
    keyring = KeyRing(team.lawyer.pk, team.lawyer_private)
    claim = next(t for t in builtin_templates() if t.key == "builtin:kas22-claim")
    inputs = {field.name: "Командир войсковой части 12345" for field in claim.inputs if field.kind != "amount"}
    figures: dict[str, float | int] = {}
    for size in SIZES:
        case = cases.case_open(opened_by=team.lawyer, keyring=keyring, title="Отказ от командировки", group=size > 1,
                               kind="military_admin", court="Курский гарнизонный военный суд")
        for _ in range(size):
            persona = population.person()
            person = person_create(created_by=team.lawyer, keyring=keyring,
                                   full_name=f"{persona.surname} {persona.first} {persona.patronymic}",
                                   surname=persona.surname, birth_date=persona.born.isoformat(),
                                   unit=f"в/ч {persona.unit or '12345'}")
            # The claims print each claimant's place of birth, residence and identifier (issue 18): filled
            # in, as a lawyer would before drafting.
            person_update(person=person, updated_by=team.lawyer, keyring=keyring, birth_place="г. Курск",
                          residence_address=f"305000, г. Курск, ул. Садовая, д. {rng.randrange(1, 200)}",
                          snils="112-233-445 95")
            claimant = cases.claimant_add(case=case, person=person, added_by=team.lawyer, keyring=keyring)
            cases.case_event_add(case=case, recorded_by=team.lawyer, keyring=keyring, kind="dismissal_order",
                                 happened_on=date(2024, 9, 2) + timedelta(days=rng.randrange(60)), claimant=claimant)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            document = document_request(case=case, requested_by=team.lawyer, keyring=keyring, template=claim,
                                        inputs=inputs, signed_by_claimants=True)  # no power of attorney here
            times.append(time.perf_counter() - start)
            if document.status != DocumentStatus.DONE:
                raise RuntimeError(f"the claim for {size} was not written: {document.failure}")
        name = "collective_25_with_joinders_s" if size == 25 else f"group_claim_{size}_s"
        figures[name] = round(statistics.median(times), 3)
        if size == 115:
            with transaction.atomic():
                start = time.perf_counter()
                snapshot, _people = document_snapshot(case=case, keyring=keyring, representative=team.lawyer,
                                                      include_withdrawn=False, inputs=inputs, template=claim)
                figures["snapshot_115_s"] = round(time.perf_counter() - start, 3)
            start = time.perf_counter()
            # As document_request fills it: signed by the claimants (no power of attorney here).
            docx = render_docx(claim.content(), {**snapshot, "signed_by_claimants": True, "power_of_attorney": ""})
            figures["render_115_s"] = round(time.perf_counter() - start, 3)
            figures["docx_kb_115"] = round(len(docx) / 1024, 1)
            settings.DEFENSOR_DOCUMENTS_PDF = True
            if pdf_converter() is None:
                figures["pdf_115_s"] = -1
            else:
                start = time.perf_counter()
                pdf_from_docx(docx)
                figures["pdf_115_s"] = round(time.perf_counter() - start, 2)
            written = GeneratedDocument.objects.filter(case=case, status=DocumentStatus.DONE).count()
            if written != rounds:
                raise RuntimeError(f"{written} documents written of {rounds}")
    figures["group_claim_115_vs_1"] = round(figures["group_claim_115_s"] / figures["group_claim_1_s"], 1)

    # The reinstatement claim (ГПК) for 115 special-rank employees: each one's pay for the enforced
    # absence calculated from their monthly pay on the record, a demand per claimant, the calculation page.
    settings.DEFENSOR_DOCUMENTS_PDF = False  # timed like group_claim_115_s: the DOCX, PDF off
    reinstatement = next(t for t in builtin_templates() if t.key == "builtin:reinstatement-claim")
    civil_inputs = {field.name: "Управление Росгвардии по Курской области" for field in reinstatement.inputs
                    if field.kind != "amount"}
    case = cases.case_open(opened_by=team.lawyer, keyring=keyring, title="Увольнение", group=True,
                           kind="special_rank", court="Ленинский районный суд г. Курска")
    for _ in range(115):
        persona = population.person()
        person = person_create(created_by=team.lawyer, keyring=keyring,
                               full_name=f"{persona.surname} {persona.first} {persona.patronymic}",
                               surname=persona.surname, birth_date=persona.born.isoformat())
        person_update(person=person, updated_by=team.lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address=f"305000, г. Курск, ул. Садовая, д. {rng.randrange(1, 200)}",
                      snils="112-233-445 95", monthly_pay=f"{rng.randrange(35000, 95000)}.{rng.randrange(100):02d}")
        claimant = cases.claimant_add(case=case, person=person, added_by=team.lawyer, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=team.lawyer, keyring=keyring, kind="dismissal_order",
                             happened_on=date(2024, 9, 2) + timedelta(days=rng.randrange(60)), claimant=claimant)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        document = document_request(case=case, requested_by=team.lawyer, keyring=keyring, template=reinstatement,
                                    inputs=civil_inputs, signed_by_claimants=True)
        times.append(time.perf_counter() - start)
        if document.status != DocumentStatus.DONE:
            raise RuntimeError(f"the reinstatement claim for 115 was not written: {document.failure}")
    figures["group_reinstatement_115_s"] = round(statistics.median(times), 3)
    write_results("documents", figures)
    print_table("documents (the group claim, CAS ch. 22)", [(k, str(v)) for k, v in figures.items()])
    if figures["group_claim_115_s"] >= 2:
        print("the group claim for 115 claimants took 2 s or more: over the target")
    if figures["group_reinstatement_115_s"] >= 2:
        print("the reinstatement claim for 115 claimants took 2 s or more: over the target")
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
