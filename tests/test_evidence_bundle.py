"""The court bundle: anna chooses items on the case's bundle page and downloads one ZIP in BagIt
layout that the ``bagit`` library validates, whose manifest holds the originals' SHA-256, with the
chain of custody and a Russian inventory (DOCX); built by the background worker from an envelope
or, without one, in the request; nothing of it on disk in plaintext; 404 for anyone who does not
hold the case; each download an ``exported`` custody event of every item in it, audited."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import bagit  # type: ignore[import-untyped]
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_open, case_share
from defensor.documents.render import document_text
from defensor.evidence.custody import blob_path
from defensor.evidence.models import Bundle, BundleStatus, CustodyEvent, EvidenceItem, TimestampLeaf, TimestampToken
from defensor.evidence.services import custody_verify
from defensor.evidence.timestamps import merkle_root, merkle_root_from_path
from defensor.keys.worker import worker_identity_start, worker_identity_stop
from tests.canary import Canaries, files_under, now, pg_dump, scan, scan_bytes, stored_bytes, temp_files_since
from tests.conftest import keyring_of, require_tool

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)

CLIENT_SURNAME = "Пестриков"


@pytest.fixture
def case(anna: User) -> Case:
    return case_open(opened_by=anna, keyring=keyring_of(anna), title=f"{CLIENT_SURNAME} против в/ч 12345",
                     number="2026-0102")


FILES = {
    "Приказ об увольнении.pdf": b"%PDF-1.7\n" + hashlib.sha256(b"order").hexdigest().encode() * 400 + b"\n%%EOF\n",
    "награждение.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(30_000),
    "рапорт.txt": "Рапорт об отказе от командировки.\n".encode() * 20,
}


def _upload_all(client: Client, case: Case, files: dict[str, bytes]) -> list[EvidenceItem]:
    for name, content in files.items():
        response = client.post(f"/staff/cases/{case.pk}/evidence/upload/", {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 302
    return list(EvidenceItem.objects.filter(case=case).order_by("number"))


def _bundle_page(client: Client, case: Case) -> str:
    response = client.get(f"/staff/cases/{case.pk}/evidence/bundle/")
    assert response.status_code == 200
    return response.content.decode()


def _download(client: Client, case: Case, bundle: Bundle) -> tuple[bytes, object]:
    response = client.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content), response  # type: ignore[attr-defined]


def _unpacked(content: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        roots = {name.split("/", 1)[0] for name in archive.namelist()}
        assert len(roots) == 1  # one folder: unpacking spills nothing beside it
        archive.extractall(where)
    return where / roots.pop()


def test_anna_chooses_items_and_downloads_a_bundle_that_validates_as_bagit(
    anna: User, case: Case, verified_client: Callable[[User], Client], tmp_path: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, FILES)
    case_page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert f'href="/staff/cases/{case.pk}/evidence/bundle/"' in case_page
    page = _bundle_page(client, case)
    assert page.count('data-testid="bundle-item"') == 3
    chosen = items[:2]  # the order and the photo; the report stays out
    response = client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(i.pk) for i in chosen]},
                           follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Пакет готов к скачиванию" in page
    bundle = Bundle.objects.get()
    assert bundle.status == BundleStatus.DONE
    assert 'data-testid="bundle-download"' in page
    content, download = _download(client, case, bundle)
    headers = download.headers  # type: ignore[attr-defined]
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith('attachment; filename="2026-0102-')
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in headers["Cache-Control"]
    assert headers["Content-Length"] == str(len(content))

    bag_dir = _unpacked(content, tmp_path / "unpacked")
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # manifests, Payload-Oxum, tag manifest: raises on any mismatch
    originals = {hashlib.sha256(FILES[name]).hexdigest(): FILES[name] for name in list(FILES)[:2]}
    manifest = dict(line.split("  ", 1)[::-1] for line in (bag_dir / "manifest-sha256.txt").read_text().splitlines())
    assert sorted(manifest.values()) == sorted(originals)
    for path, digest in manifest.items():
        assert re.fullmatch(rf"data/{digest}\.(pdf|jpg)", path)
        assert (bag_dir / path).read_bytes() == originals[digest]
    assert hashlib.sha256(FILES["рапорт.txt"]).hexdigest() not in (bag_dir / "manifest-sha256.txt").read_text()

    info = (bag_dir / "bag-info.txt").read_text(encoding="utf-8")
    assert "External-Identifier: 2026-0102" in info
    assert bag.info["External-Description"] == (  # Russian for the court first
        "Комплект доказательств по делу № 2026-0102 / Court bundle of evidence, case No. 2026-0102")
    assert "Contact-Name: anna" in info
    assert "Bagging-Date: " in info
    assert CLIENT_SURNAME not in info  # the case's title names the client: never in the bundle's labels

    custody = json.loads((bag_dir / "custody.json").read_text(encoding="utf-8"))
    assert [entry["number"] for entry in custody["items"]] == [1, 2]
    for entry, item in zip(custody["items"], chosen, strict=True):
        stored = list(CustodyEvent.objects.filter(item=item).order_by("seq").values_list("kind", "hash"))
        assert [(event["kind"], event["hash"]) for event in entry["events"]] == stored[:len(entry["events"])]
        assert entry["events"][0]["kind"] == "captured"

    inventory = document_text((bag_dir / "opis-dokazatelstv.docx").read_bytes())
    assert "Опись доказательств" in inventory
    assert "Дело № 2026-0102" in inventory
    for header in ("№", "Наименование (описание) доказательства", "Источник", "Дата фиксации", "SHA-256", "Размер"):
        assert header in inventory
    assert "Приказ об увольнении.pdf" in inventory
    assert "награждение.jpg" in inventory
    assert "рапорт.txt" not in inventory
    assert "Загружен сотрудником" in inventory
    for digest in originals:
        assert digest in inventory
    assert f"{len(FILES['награждение.jpg']):,}".replace(",", "\u00a0") + " байт" in inventory

    # Custody: each chosen item exported once (the download), the other not; all chains intact.
    for item in chosen:
        last = CustodyEvent.objects.filter(item=item).order_by("-seq").first()
        assert last is not None
        assert (last.kind, last.actor_id, last.details) == ("exported", anna.pk, {"bundle": str(bundle.pk)})
    assert not CustodyEvent.objects.filter(item=items[2], kind="exported").exists()
    assert custody_verify() == []
    # Audit: asked for, built, downloaded; ids and counts only.
    actions = list(AuditEvent.objects.filter(action__startswith="evidence.bundle").order_by("seq")
                   .values_list("action", "details"))
    assert [action for action, _details in actions] == [
        "evidence.bundle_requested", "evidence.bundle_built", "evidence.bundle_downloaded"]
    assert all(details["bundle"] == str(bundle.pk) and details["items"] == 2 for _action, details in actions)


def test_an_empty_or_foreign_choice_makes_no_bundle(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    _upload_all(client, case, {"рапорт.txt": FILES["рапорт.txt"]})
    other = case_open(opened_by=anna, keyring=keyring_of(anna), title="Другое дело", number="2026-0103")
    foreign = _upload_all(client, other, {"чужой.txt": b"another case's file\n"})[0]
    for chosen in ([], [str(foreign.pk)], ["not-an-id"]):
        response = client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": chosen})
        assert response.status_code == 400
        assert "Выберите хотя бы одно доказательство" in response.content.decode()
    assert not Bundle.objects.exists()


def test_no_one_who_does_not_hold_the_case_reaches_its_bundles(
    anna: User, pavel: User, petra: User, boris: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    items = _upload_all(verified_client(anna), case, {"рапорт.txt": FILES["рапорт.txt"]})
    verified_client(anna).post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(items[0].pk)]})
    bundle = Bundle.objects.get()
    before = CustodyEvent.objects.count()
    for user in (pavel, petra):  # a paralegal and a partner lawyer the case is not shared with
        client = verified_client(user)
        assert client.get(f"/staff/cases/{case.pk}/evidence/bundle/").status_code == 404
        assert client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(items[0].pk)]}).status_code == 404
        assert client.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/").status_code == 404
    volunteer = verified_client(boris)  # no case work at all: the same 404 (docs/roles.md)
    assert volunteer.get(f"/staff/cases/{case.pk}/evidence/bundle/").status_code == 404
    assert volunteer.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/").status_code == 404
    assert Bundle.objects.count() == 1
    assert CustodyEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action="evidence.bundle_downloaded").exists()


def test_an_item_whose_stored_copy_was_changed_is_not_bundled(
    anna: User, case: Case, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, FILES)
    path = blob_path(items[1].blob)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    response = client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(i.pk) for i in items]},
                           follow=True)
    bundle = Bundle.objects.get()
    assert (bundle.status, bundle.failure) == (BundleStatus.FAILED, "custody_broken")
    assert "defensor evidence verify" in response.content.decode()
    assert 'data-testid="bundle-download"' not in response.content.decode()
    assert list((evidence_dir / "bundles").glob("*")) == []  # nothing half-built is left
    assert client.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/", follow=True).status_code == 200
    assert not CustodyEvent.objects.filter(kind="exported").exists()


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections, as in life
def test_the_worker_builds_the_bundle_from_an_envelope_only_it_can_open(
    anna: User, case: Case, verified_client: Callable[[User], Client], tmp_path: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, FILES)
    worker_identity_start()  # as `defensor worker` does at start, in this process
    try:
        response = client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(i.pk) for i in items]},
                               follow=True)
        bundle = Bundle.objects.get()
        assert bundle.status == BundleStatus.QUEUED  # the request returned at once
        assert bundle.envelope
        assert 'http-equiv="refresh"' in response.content.decode()  # the page follows the building
        assert 'data-testid="bundle-slow"' not in response.content.decode()
        Bundle.objects.filter(pk=bundle.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
        assert 'data-testid="bundle-slow"' in _bundle_page(client, case)  # the worker may have stopped: said
        call_command("db_worker", batch=True, verbosity=0)
        bundle.refresh_from_db()
        assert bundle.status == BundleStatus.DONE
        assert bundle.envelope == ""  # the case's key is gone with the work
        page = _bundle_page(client, case)
        assert 'http-equiv="refresh"' not in page
        content, _response = _download(client, case, bundle)
        bag = bagit.Bag(str(_unpacked(content, tmp_path / "unpacked")))
        bag.validate()
        assert {entry["sha256"] for entry in bag.payload_entries().values()} == {
            hashlib.sha256(original).hexdigest() for original in FILES.values()}
    finally:
        worker_identity_stop()


def test_nothing_of_the_bundle_is_on_disk_in_plaintext(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    started = now()
    canaries = Canaries()
    client = verified_client(anna)
    content = f"Свидетельство: {canaries.new('в-файле')}\n".encode() * 50
    name = f"{canaries.new('имя-файла')}.txt"
    items = _upload_all(client, case, {name: content})
    canaries.strings.append(hashlib.sha256(content).hexdigest())
    canaries.secrets.append(hashlib.sha256(content).digest())
    client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(items[0].pk)]})
    bundle = Bundle.objects.get()
    downloaded, _response = _download(client, case, bundle)
    with zipfile.ZipFile(io.BytesIO(downloaded)) as archive:  # the canaries are really in the bundle
        inside = b"".join(archive.read(n) for n in archive.namelist() if n.endswith((".txt", ".json")))
    assert content in inside
    assert hashlib.sha256(content).hexdigest().encode() in inside
    stored = files_under(Path(settings.DEFENSOR_EVIDENCE_DIR) / "bundles")
    assert len(stored) == 1, "no sealed bundle: the scan would prove nothing"
    written = files_under(Path(settings.DATA_DIR), Path(settings.DEFENSOR_EVIDENCE_DIR)) + temp_files_since(started)
    hits = scan(written, canaries)
    hits += scan_bytes("database", stored_bytes(*apps.get_models()), canaries)
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    # Deflated text would hide a canary: no ZIP (the bundle, or the DOCX inside it) is on disk at all.
    for path in files_under(Path(settings.DEFENSOR_EVIDENCE_DIR)):
        assert b"PK\x03\x04" not in path.read_bytes(), path
    assert not hits, "\n".join(hits)


def test_the_timestamp_tokens_of_the_chosen_items_go_into_the_bundle_with_their_proofs(
    anna: User, case: Case, verified_client: Callable[[User], Client], tmp_path: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, FILES)
    heads = [CustodyEvent.objects.filter(item=item).order_by("-seq").first() for item in items]
    token = TimestampToken.objects.create(  # as evidence.timestamps stores a TSA's reply
        organisation=case.organisation, created_at=timezone.now(), stamped_at=timezone.now(),
        root=merkle_root([head.hash for head in heads if head]).hex(), response=b"0\x82 a TSA's reply, DER")
    for position, head in enumerate(heads):
        assert head is not None
        TimestampLeaf.objects.create(token=token, position=position, item=head.item, seq=head.seq, hash=head.hash)
    client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(items[1].pk)]})
    content, _response = _download(client, case, Bundle.objects.get())
    bag_dir = _unpacked(content, tmp_path / "unpacked")
    bagit.Bag(str(bag_dir)).validate()  # the tokens are tag files, in the tag manifest
    assert (bag_dir / "timestamps" / f"{token.pk}.tsr").read_bytes() == bytes(token.response)
    proofs = json.loads((bag_dir / "timestamps" / "proofs.json").read_text(encoding="utf-8"))["proofs"]
    assert len(proofs) == 1
    proof = proofs[0]
    assert (proof["number"], proof["head"], proof["token"]) == (2, heads[1].hash, f"timestamps/{token.pk}.tsr")  # type: ignore[union-attr]
    # What a court's expert does: from the item's chain head and the path, the stamped root.
    assert merkle_root_from_path(proof["head"], [tuple(step) for step in proof["path"]]).hex() == token.root
    assert str(items[0].pk) not in json.dumps(proofs)  # no other item's id, only sibling hashes
    tagmanifest = (bag_dir / "tagmanifest-sha256.txt").read_text()
    assert f"timestamps/{token.pk}.tsr" in tagmanifest


def test_a_changed_bundle_is_not_given_out_and_verify_reports_it(
    anna: User, case: Case, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, {"рапорт.txt": FILES["рапорт.txt"]})
    client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(items[0].pk)]})
    bundle = Bundle.objects.get()
    out = io.StringIO()
    call_command("evidence", "verify", stdout=out)
    assert out.getvalue() == ""
    path = evidence_dir / "bundles" / f"{bundle.blob}.bin"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    response = client.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/", follow=True)
    assert not hasattr(response, "streaming_content")
    assert "defensor evidence verify" in response.content.decode()
    assert not CustodyEvent.objects.filter(kind="exported").exists()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("evidence", "verify", stdout=out)
    assert exit_.value.code == 1
    assert out.getvalue().splitlines() == [f"bundle {bundle.pk}: blob-changed"]


def _recomputed(log: dict[str, object]) -> bool:
    """What a court's expert does with custody.json alone (hashlib and json, nothing of Defensor):
    every event's hash recomputed from its fields, each chained to the one before it."""
    for item in log["items"]:  # type: ignore[attr-defined]
        prev = "0" * 64
        for number, event in enumerate(item["events"]):
            payload = {"item": item["id"], "seq": event["seq"], "kind": event["kind"], "actor": event["actor"],
                       "at": event["at"], "details": event["details"], "prev": event["prev_hash"]}
            if "blob_sha256" in event:
                payload["blob_sha256"] = event["blob_sha256"]
            encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            if event["seq"] != number or event["prev_hash"] != prev:
                return False
            if hashlib.sha256(encoded.encode()).hexdigest() != event["hash"]:
                return False
            prev = event["hash"]
        if prev != item["head"]:
            return False
    return True


def test_a_court_expert_recomputes_the_bundles_custody_log_without_defensor(
    anna: User, case: Case, verified_client: Callable[[User], Client], tmp_path: Path
) -> None:
    client = verified_client(anna)
    items = _upload_all(client, case, FILES)
    for status in ("in_review", "verified"):
        client.post(f"/staff/cases/{case.pk}/evidence/{items[0].pk}/status/", {"status": status})
    client.get(f"/staff/cases/{case.pk}/evidence/{items[1].pk}/download/")
    client.post(f"/staff/cases/{case.pk}/evidence/bundle/", {"items": [str(item.pk) for item in items]})
    content, _response = _download(client, case, Bundle.objects.get())
    bag_dir = _unpacked(content, tmp_path / "unpacked")
    bagit.Bag(str(bag_dir)).validate()  # README.txt is a tag file, in the tag manifest
    assert "README.txt" in (bag_dir / "tagmanifest-sha256.txt").read_text()
    info = (bag_dir / "bag-info.txt").read_text(encoding="utf-8")
    assert "Custody-Log-Format: custody.json: for each event, hash = hex SHA-256" in info
    assert "GENESIS = 64 zeros" in info

    raw = (bag_dir / "custody.json").read_bytes()
    log = json.loads(raw)
    assert [len(item["events"]) for item in log["items"]] == [
        CustodyEvent.objects.filter(item=item, at__lte=Bundle.objects.get().finished_at).count() for item in items]
    kinds = [[event["kind"] for event in item["events"]] for item in log["items"]]
    assert kinds[0] == ["captured", "status_changed", "status_changed"]
    assert kinds[1] == ["captured", "downloaded"]
    for item, stored in zip(log["items"], items, strict=True):
        assert item["events"][0]["blob_sha256"] == stored.blob_sha256  # what the captured event binds
        assert all("blob_sha256" not in event for event in item["events"][1:])
    assert _recomputed(log)

    # The program README.txt gives, run in the bag by a bare Python (-I: nothing of Defensor on its path).
    readme = (bag_dir / "README.txt").read_text(encoding="utf-8")
    assert "Как проверить цепочку хранения без Defensor" in readme
    assert "How to check the chain of custody without Defensor" in readme
    program = readme.split("run in this folder:\n\n", 1)[1].split("\n----", 1)[0]
    done = subprocess.run([sys.executable, "-I", "-c", program], cwd=bag_dir, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout) == (0, "custody.json: every chain recomputes\n"), done.stderr

    # One byte changed anywhere the hashes cover: the recomputation fails.
    at = log["items"][0]["events"][1]["at"]
    changed_at = at[:-8] + str((int(at[-8]) + 1) % 10) + at[-7:]  # one digit of the microseconds
    tampered = raw.replace(at.encode(), changed_at.encode(), 1)
    assert len(tampered) == len(raw)
    assert tampered != raw
    assert not _recomputed(json.loads(tampered))
    (bag_dir / "custody.json").write_bytes(tampered)
    done = subprocess.run([sys.executable, "-I", "-c", program], cwd=bag_dir, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stderr) == (1, "item No. 1: event 1 does not recompute\n")
    for field, value in (("kind", "viewed"), ("actor", 999), ("details", {"bundle": "x"})):
        edited = json.loads(raw)
        edited["items"][1]["events"][1][field] = value
        assert not _recomputed(edited), field


def _png(author: bytes) -> bytes:
    """A 1x1 PNG screenshot whose text chunk names its author (a working copy removes it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Author\0" + author) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))


def _inventory_rows(docx: bytes) -> dict[str, list[str]]:
    """The inventory's table as a reader of the DOCX sees it: № → the row's cells."""
    from docx import Document

    table = Document(io.BytesIO(docx)).tables[0]
    return {row.cells[0].text: [cell.text for cell in row.cells] for row in table.rows[1:]}


def test_a_working_copy_in_the_inventory_is_a_copy_of_its_original_made_by_whom_and_when(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client], tmp_path: Path
) -> None:
    """anna saves a public source and describes it; pavel makes its working copy, which anna
    describes too. The bundle's inventory tells them apart by name; the copy's row says it is a
    copy with the metadata removed, of which item, made by pavel when he made it; custody.json
    names anna and pavel, and the names are outside what the hashes cover."""
    anna.first_name, anna.last_name = "Анна", "Соколова"
    anna.save(update_fields=["first_name", "last_name"])
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    lawyer, paralegal = verified_client(anna), verified_client(pavel)
    evidence = f"/staff/cases/{case.pk}/evidence"
    screenshot = _png(b"Ivanov")
    captured = (timezone.localtime() - timedelta(days=3)).replace(second=0, microsecond=0)
    assert lawyer.post(f"{evidence}/public/", {
        "file": SimpleUploadedFile("пост-о-командировке.png", screenshot, content_type="image/png"),
        "url": "https://t.me/some_channel/4242", "platform": "Telegram", "captured_with": "браузер",
        "captured_at": captured.strftime("%Y-%m-%dT%H:%M"), "captured_by": str(anna.pk),
        "description": "Пост о командировке части",
    }).status_code == 302
    original = EvidenceItem.objects.get(case=case, number=1)
    assert paralegal.post(f"{evidence}/{original.pk}/working-copy/").status_code == 302
    copy = EvidenceItem.objects.get(case=case, parent=original)
    assert lawyer.post(f"{evidence}/{copy.pk}/labels/", {"tags": ["deployment_abroad"],
                                                        "description": "Для передачи в суд"}).status_code == 302
    copied = b"".join(lawyer.get(f"{evidence}/{copy.pk}/download/").streaming_content)  # type: ignore[attr-defined]
    assert b"Ivanov" not in copied
    lawyer.post(f"{evidence}/bundle/", {"items": [str(original.pk), str(copy.pk)]})
    content, _response = _download(lawyer, case, Bundle.objects.get())
    bag_dir = _unpacked(content, tmp_path / "unpacked")
    bagit.Bag(str(bag_dir)).validate()

    rows = _inventory_rows((bag_dir / "opis-dokazatelstv.docx").read_bytes())
    original_sha256, copy_sha256 = hashlib.sha256(screenshot).hexdigest(), hashlib.sha256(copied).hexdigest()
    what, source, when = rows["1"][1:4]
    assert what.splitlines() == ["пост-о-командировке.png", "Пост о командировке части", f"data/{original_sha256}.png"]
    assert source == "Сохранён из открытого источника: https://t.me/some_channel/4242 (Telegram)"
    assert when == captured.strftime("%d.%m.%Y %H:%M")
    assert rows["1"][4] == original_sha256

    what, source, when = rows["2"][1:4]
    # The file's name stays (the description follows it): the copy is never taken for its original.
    assert what.splitlines() == ["пост-о-командировке (рабочая копия).png", "Для передачи в суд",
                                 f"data/{copy_sha256}.png"]
    assert source.splitlines() == [
        "Рабочая копия доказательства № 1 (метаданные удалены)",
        "Кем изготовлена: pavel",  # no full name: his login
        "Источник оригинала: Сохранён из открытого источника: https://t.me/some_channel/4242 (Telegram)",
        f"SHA-256 оригинала: {original_sha256}",
    ]
    assert "Приложен" not in source
    made = timezone.localtime(copy.added_at)
    assert when.splitlines() == [made.strftime("%d.%m.%Y %H:%M"), "(дата изготовления копии)"]
    assert captured.strftime("%d.%m.%Y %H:%M") not in when  # not the original's capture
    assert rows["2"][4] == copy_sha256

    raw = (bag_dir / "custody.json").read_bytes()
    log = json.loads(raw)
    assert log["actors"] == {
        str(anna.pk): {"name": "Анна Соколова", "login": "anna", "role": "lawyer", "role_title": "Юрист"},
        str(pavel.pk): {"name": "pavel", "login": "pavel", "role": "paralegal", "role_title": "Помощник юриста"},
    }
    copy_events = log["items"][1]["events"]
    assert (copy_events[0]["actor"], copy_events[0]["actor_name"]) == (pavel.pk, "pavel")
    assert {event["actor_name"] for event in log["items"][0]["events"]} == {"Анна Соколова", "pavel"}
    readme = (bag_dir / "README.txt").read_text(encoding="utf-8")
    assert "Имена и роли хешами не защищены: защищены только идентификаторы (actor)." in readme
    assert "These names and roles are not covered by the hashes: only the ids (actor) are." in readme
    # As README.txt says: a name changed still recomputes; an id changed does not.
    assert _recomputed(log)
    renamed = json.loads(raw)
    renamed["actors"][str(pavel.pk)]["name"] = "Иван Петров"
    renamed["items"][1]["events"][0]["actor_name"] = "Иван Петров"
    assert _recomputed(renamed)
    renamed["items"][1]["events"][0]["actor"] = anna.pk
    assert not _recomputed(renamed)
