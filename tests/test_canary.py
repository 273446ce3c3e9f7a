"""P1: a copy of the data directory, logs, temp files or a database dump reveals no personal
content and no unwrapped key. Canaries are planted through the real services and a real login."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import Role, User
from defensor.cases.models import ClaimantStatus, EventKind, WithdrawalReason
from defensor.cases.services import (
    case_event_add,
    case_note_add,
    case_open,
    case_share,
    case_task_add,
    claimant_add,
    claimants_status_set,
)
from defensor.core.logging import RedactingFilter
from defensor.core.sessions import SessionStore
from defensor.documents.catalogue import uploaded_info
from defensor.documents.models import DocumentStatus
from defensor.documents.render import MEMORY_DIR
from defensor.documents.services import document_request, template_upload
from defensor.evidence.models import EvidenceItem
from defensor.intake.models import Submission
from defensor.keys.keyring import KEYRING_COOKIE
from defensor.keys.models import KeyKind
from defensor.keys.worker import worker_identity_start, worker_identity_stop
from defensor.people.identifiers import inn_check_digits, snils_check_number
from defensor.people.matching import Identity
from defensor.people.models import PersonRevision
from defensor.people.selectors import match_candidates
from defensor.people.services import (
    HandleInput,
    handle_add,
    handle_update_safety,
    person_create,
    person_name_forms_set,
    person_update,
)
from tests.canary import Canaries, files_under, now, pg_dump, scan, scan_bytes, temp_files_since
from tests.conftest import PASSWORD, OrganisationKit, current_token, keyring_of, require_tool
from tests.docx_files import docx_of
from tests.intake_visitor import IntakeVisitor


@pytest.fixture
def log_file() -> Iterator[Path]:
    """What production sends to stderr, captured into the data directory like a journal would."""
    path = Path(settings.DATA_DIR) / "logs" / f"defensor-{random.randrange(10**9)}.log"
    path.parent.mkdir(exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    log_format: str = settings.LOGGING["formatters"]["plain"]["format"]  # type: ignore[index]
    handler.setFormatter(logging.Formatter(log_format))
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("axes")]
    for logger in loggers:
        logger.addHandler(handler)
    yield path
    for logger in loggers:
        logger.removeHandler(handler)
    handler.close()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _login(username: str, user: User) -> Client:
    client = Client()
    assert client.post("/staff/login/", {"username": username, "password": PASSWORD}).status_code == 302
    assert client.post("/staff/2fa/verify/", {"token": current_token(user)}).status_code == 302
    return client


@pytest.mark.django_db(transaction=True)
def test_no_personal_content_or_key_reaches_any_byte_written(
    org_kit: OrganisationKit, make_user: Callable[..., User], log_file: Path
) -> None:
    started = now()
    canaries = Canaries()
    anna = make_user("anna", Role.LAWYER)
    pavel = make_user("pavel", Role.PARALEGAL)
    olga = make_user("olga", Role.ADMIN)
    anna_client = _login("anna", anna)  # a real login: key ring unlocked into session + cookie
    keyring = keyring_of(anna)

    birth = (date(1970, 1, 1) + timedelta(days=random.randrange(15000))).isoformat()
    canaries.strings.append(birth)
    person = person_create(
        created_by=anna, keyring=keyring, full_name=canaries.new("ФИО"), surname=canaries.new("Фамилия"),
        birth_date=birth, unit=canaries.new("в/ч"), notes=canaries.new("заметка-о-человеке"),
        handles=[HandleInput(kind="phone", value=canaries.phone(), safe_times=canaries.new("когда-звонить"))],
    )
    person_update(person=person, updated_by=anna, keyring=keyring, notes=canaries.new("исправленная-заметка"))
    # The whole record through its edit page: every sealed field, and a revision of what it replaced.
    nine, ten = f"{random.randrange(2_000_000, 10**9):09d}", f"{random.randrange(10**9, 10**10):010d}"
    snils, inn = nine + snils_check_number(nine), ten + inn_check_digits(ten)
    passport = f"{random.randrange(10**10):010d}"
    new_birth = date(1960, 1, 1) + timedelta(days=random.randrange(15000))
    canaries.strings += [snils, f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}", inn, passport,
                         f"{passport[:4]} {passport[4:]}", new_birth.isoformat(), new_birth.strftime("%d.%m.%Y")]
    form = anna_client.get(f"/staff/people/{person.pk}/edit/").context["form"]
    typed = {name: form[name].value() or "" for name in form.fields if name != "postal_same"}
    typed.update({
        "surname": canaries.new("новая-фамилия"), "given_name": canaries.new("имя"),
        "patronymic": canaries.new("отчество"), "gender": "f", "birth_date": new_birth.strftime("%d.%m.%Y"),
        "birth_place": canaries.new("место-рождения"), "residence_address": canaries.new("адрес"),
        "postal_address": canaries.new("почтовый-адрес"), "passport": passport, "snils": snils, "inn": inn,
        "unit": canaries.new("новая-в/ч"), "service_category": "mobilised", "force": "army", "region": "RU-KRS",
        "notes": canaries.new("заметка-из-формы"),
    })
    assert anna_client.post(f"/staff/people/{person.pk}/edit/", typed).status_code == 302
    assert PersonRevision.objects.filter(person=person).count() == 2
    person.refresh_from_db()
    assert person.decrypt(keyring).passport == f"{passport[:4]} {passport[4:]}"  # sealed, and there
    telegram = handle_add(
        person=person, added_by=anna, keyring=keyring, handle=HandleInput(kind="telegram", value=canaries.new("ник"))
    )
    handle_update_safety(
        handle=telegram, updated_by=anna, keyring=keyring, safe_to_contact=True, safe_times=canaries.new("время")
    )
    # Duplicate matching with what a new request says: only keyed digests go to the database.
    assert match_candidates(actor=anna, keyring=keyring, identity=Identity(
        full_name=canaries.new("новое-ФИО"), surname=canaries.new("новая-фамилия"), unit=canaries.new("часть"),
        phones=(canaries.phone(),), handles=(canaries.new("новый-ник"),),
    )) == []
    case = case_open(
        opened_by=anna, keyring=keyring, number="2026-001", title=canaries.new("название-дела"),
        summary=canaries.new("суть-дела"), group=True, court=canaries.new("суд"),
        court_number=canaries.new("номер-в-суде"),
    )
    case_note_add(case=case, author=anna, keyring=keyring, text=canaries.new("заметка-по-делу"))
    claimant = claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
    case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                   happened_on=date(2026, 11, 2), text=canaries.new("о-приказе"), claimant=claimant)
    case_task_add(case=case, created_by=anna, keyring=keyring, title=canaries.new("задача"), assignee=anna)
    claimants_status_set(case=case, claimant_ids=[claimant.pk], recorded_by=anna, keyring=keyring,
                         status=ClaimantStatus.WITHDRAWN, effective_on=date(2026, 11, 20),
                         reason=WithdrawalReason.CRIMINAL_THREAT, note=canaries.new("угрожали"), incident=True)
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring)
    # Evidence through its pages: a file uploaded (its name and content), a saved public source (its
    # address, platform, tool and description; the screenshot's own metadata and name), its working
    # copy, a request's file carried in when anna accepts the request, and a hand-over's note on the
    # chain of custody page. The SHA-256 of every original (hex and raw) is a canary too: in the
    # clear it would let whoever seizes the server confirm they hold the same file.
    evidence = f"/staff/cases/{case.pk}/evidence"
    uploaded_name = f"{canaries.new('имя-доказательства')}.txt"
    uploaded_content = f"Рапорт: {canaries.new('в-доказательстве')}\n".encode()
    assert anna_client.post(f"{evidence}/upload/", {"file": SimpleUploadedFile(
        uploaded_name, uploaded_content)}).status_code == 302
    uploaded = EvidenceItem.objects.get(case=case, number=1)
    address_token = f"canary{uuid.uuid4().hex}"  # ASCII: found even where an address is percent-encoded
    author_token = f"canary{uuid.uuid4().hex}"  # a PNG's text chunk is Latin-1
    canaries.strings += [address_token, author_token]
    screenshot = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
                  + _png_chunk(b"tEXt", b"Author\0" + author_token.encode())
                  + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + _png_chunk(b"IEND", b""))
    assert anna_client.post(f"{evidence}/public/", {
        "file": SimpleUploadedFile(f"{canaries.new('имя-скриншота')}.png", screenshot, content_type="image/png"),
        "url": f"https://t.me/{address_token}/{canaries.new('адрес-источника')}",
        "platform": canaries.new("платформа"), "captured_with": canaries.new("инструмент"),
        "captured_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "captured_by": str(pavel.pk), "description": canaries.new("описание-источника"),
    }).status_code == 302
    saved = EvidenceItem.objects.get(case=case, number=2)
    assert anna_client.post(f"{evidence}/{saved.pk}/working-copy/").status_code == 302
    carried_content = f"%PDF-1.4\n{canaries.new('в-файле-обращения')}\n%%EOF\n".encode()
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=[(f"{canaries.new('имя-файла-обращения')}.pdf", carried_content)])
    visitor.submit()
    submission = Submission.objects.get()
    anna_client.get(f"/staff/inbox/{submission.pk}/")
    # The files are taken in once the accept commits (this test's transactions really commit).
    assert anna_client.post(f"/staff/inbox/{submission.pk}/accept/", {
        "person": "new", "case": "new", "case_kind": "special_rank"}).status_code == 302
    carried = EvidenceItem.objects.get(source="request")
    assert anna_client.post(f"{evidence}/{uploaded.pk}/custody/handover/", {
        "recipient": "court", "method": "in_person", "on": timezone.localdate().isoformat(),
        "note": canaries.new("заметка-о-передаче"),
    }).status_code == 302
    originals: dict[str, bytes] = {}
    for item in EvidenceItem.objects.all():  # read: pages, chains, a stored file checked, files
        base = f"/staff/cases/{item.case_id}/evidence/{item.pk}"
        assert anna_client.get(f"{base}/").status_code == 200
        assert anna_client.post(f"{base}/custody/").status_code == 200
        download = anna_client.get(f"{base}/download/")
        assert download.status_code == 200
        originals[str(item.pk)] = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    copy = EvidenceItem.objects.get(parent=saved)
    assert originals[str(uploaded.pk)] == uploaded_content
    assert originals[str(saved.pk)] == screenshot
    assert originals[str(carried.pk)] == carried_content
    assert originals[str(copy.pk)] != screenshot  # the working copy is a file of its own, with its own hash
    for content in originals.values():
        canaries.strings.append(hashlib.sha256(content).hexdigest())
        canaries.secrets.append(hashlib.sha256(content).digest())  # raw, hex, base64
    assert address_token in (saved.decrypt(keyring).url or "")  # kept, sealed
    # A court document: the lawyer's own form of the name, the work handed to the background worker
    # in an envelope, the DOCX (and the PDF, where LibreOffice converts it in memory) sealed.
    person_name_forms_set(person=person, edited_by=anna, keyring=keyring, forms={"dative": canaries.new("кому")})
    template = template_upload(uploaded_by=olga, slug="canary", title="Проверка", content=docx_of(
        "{%p for c in claimants %}", "{{ c.name }} / {{ c.dative }} / {{ c.unit }}", "{%p endfor %}",
        "{{ case.court }} {{ case.court_number }}"))
    identity = worker_identity_start()
    try:
        document = document_request(case=case, requested_by=anna, keyring=keyring, template=uploaded_info(template),
                                    inputs={}, include_withdrawn=True)
        call_command("db_worker", batch=True, verbosity=0)
        canaries.secrets.append(identity.keypair.private)
    finally:
        worker_identity_stop()
    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE
    assert anna_client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/").status_code == 200
    for page in (f"/staff/cases/{case.pk}/", f"/staff/cases/{case.pk}/roster/", "/staff/", "/staff/cases/",
                 f"/staff/cases/{case.pk}/claimants/{claimant.pk}/"):
        assert anna_client.get(page).status_code == 200  # the pages show it: read, audited, never stored
    _login("pavel", pavel)

    # A crash whose message and query string carry personal data, and a search in a URL.
    crashing = Client(raise_request_exception=False)
    with mock.patch("defensor.intake.views.render", side_effect=ValueError(canaries.new("в-исключении"))):
        crashing.get("/", {"q": canaries.new("в-запросе")})
    anna_client.get("/staff/no-such-page/", {"q": canaries.new("в-адресе")})

    # The keys that must never be written unwrapped.
    _, intake_private = keyring.current(org_kit.organisation.pk, KeyKind.INTAKE)
    _, index_key = keyring.current(org_kit.organisation.pk, KeyKind.INDEX)
    cookie_secret = base64.urlsafe_b64decode(anna_client.cookies[KEYRING_COOKIE].value)
    canaries.strings += org_kit.shares  # the recovery shares are never on the server's disk
    canaries.secrets += [
        keyring._private_key, keyring_of(pavel)._private_key, keyring.material(person.data_key_id),
        keyring.material(case.data_key_id), intake_private, index_key, org_kit.recovery_key, cookie_secret,
    ]

    hits = scan(files_under(Path(settings.DATA_DIR)), canaries)
    hits += scan(temp_files_since(started), canaries)
    hits += scan(files_under(MEMORY_DIR, since=started - 1), canaries)  # where LibreOffice converts
    for row in Session.objects.all():  # session data is compressed: decode it before looking
        hits += scan_bytes(f"session {row.pk}", json.dumps(SessionStore().decode(row.session_data)).encode(), canaries)
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    assert log_file.read_text(encoding="utf-8"), "the log captured nothing: the scan would prove nothing"
    assert not hits, "\n".join(hits)

    # And the data is all there for those who hold the keys.
    assert person.decrypt(keyring).notes is not None
    assert case.decrypt(keyring_of(pavel)).title is not None


@pytest.mark.django_db(transaction=True)
def test_the_scanner_finds_what_it_looks_for(org_kit: OrganisationKit) -> None:
    """The canary scan itself is not blind: a plaintext written to the data directory is found."""
    canaries = Canaries()
    leak = Path(settings.DATA_DIR) / "tmp" / f"leak-{random.randrange(10**9)}.txt"
    leak.write_text(f"oops {canaries.new('утечка')}", encoding="utf-8")
    canaries.secrets.append(org_kit.recovery_key)
    (leak.with_suffix(".key")).write_bytes(base64.b64encode(org_kit.recovery_key))
    try:
        hits = scan(files_under(Path(settings.DATA_DIR)), canaries)
    finally:
        leak.unlink()
        leak.with_suffix(".key").unlink()
    assert any("утечка" in hit for hit in hits)
    assert any("secret" in hit for hit in hits)


@pytest.mark.django_db(transaction=True)
def test_intake_answers_attachments_and_messages_never_reach_disk_in_plaintext(
    org_kit: OrganisationKit, make_user: Callable[..., User], log_file: Path
) -> None:
    from defensor.intake import services as intake
    from defensor.intake.models import Submission
    from tests.intake_visitor import DEFAULT_ANSWERS, IntakeVisitor

    started = now()
    canaries = Canaries()
    anna = make_user("anna", Role.LAWYER)
    answers = {step: dict(values) for step, values in DEFAULT_ANSWERS.items()}
    answers["about"]["address_as"] = canaries.new("имя")
    answers["about"]["unit"] = canaries.new("часть")[:100]
    answers["about"]["order_description"] = canaries.new("приказ")
    answers["contact"]["phone"] = canaries.phone()
    answers["contact"]["safe_time"] = canaries.new("время")
    file_canary = canaries.new("в-файле")
    pdf = f"%PDF-1.4\n{file_canary}\n%%EOF\n".encode()

    visitor = IntakeVisitor(language="en")
    visitor.start()
    visitor.fill_all(answers, files=[(f"{canaries.new('имя-файла')}.pdf", pdf)])
    receipt = visitor.submit()
    canaries.strings.append(receipt)
    submission = Submission.objects.get()
    visitor.client.post("/receipt/message/", {"receipt": receipt, "text": canaries.new("сообщение")})
    intake.reply_send(submission=submission, author=anna, keyring=keyring_of(anna), text=canaries.new("ответ"))
    canaries.secrets.append(intake.submission_data_key(submission=submission, keyring=keyring_of(anna)))

    hits = scan(files_under(Path(settings.DATA_DIR)), canaries)
    hits += scan(temp_files_since(started), canaries)
    hits += scan(files_under(MEMORY_DIR, since=started - 1), canaries)  # where LibreOffice converts
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    assert not hits, "\n".join(hits)
    # And the team reads all of it.
    read = intake.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert read["order_description"] == answers["about"]["order_description"]
