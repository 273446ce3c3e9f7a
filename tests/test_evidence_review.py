"""Reviewing evidence: anna (a lawyer) and pavel (a paralegal) take a case's files through
new → in review → verified / disputed / rejected, label and link them, and the case page lists them
by status; illegal steps are refused with a message and change nothing; everyone else gets 404."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, Claimant
from defensor.cases.services import case_event_add, case_open, case_share, claimant_add
from defensor.evidence.models import CustodyEvent, EvidenceItem, EvidenceLink, Source
from defensor.evidence.services import custody_verify, item_ingest
from defensor.people.services import HandleInput, person_create
from tests.conftest import keyring_of

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)


@pytest.fixture
def case(anna: User, pavel: User, petra: User) -> Case:
    keys = keyring_of(anna)
    opened = case_open(opened_by=anna, keyring=keys, title="Дело о командировке", number="2026-0101",
                       group=True, kind="military_admin")
    for colleague in (pavel, petra):
        case_share(case=opened, to_user=colleague, shared_by=anna, keyring=keys)
    return opened


def _claimant(case: Case, anna: User, name: str) -> Claimant:
    keys = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keys, full_name=name,
                           handles=[HandleInput(kind="phone", value="+79161234567")])
    return claimant_add(case=case, person=person, added_by=anna, keyring=keys)


def _item(case: Case, anna: User, name: str = "приказ.pdf") -> EvidenceItem:
    return item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(b"%PDF-1.4\n" + name.encode()), name=name,
                       added_by=anna, keyring=keyring_of(anna))


def _page(client: Client, item: EvidenceItem) -> str:
    response = client.get(f"/staff/cases/{item.case_id}/evidence/{item.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _post(client: Client, item: EvidenceItem, what: str, data: Mapping[str, object], expect: int = 200) -> str:
    response = client.post(f"/staff/cases/{item.case_id}/evidence/{item.pk}/{what}/", data, follow=True)
    assert response.status_code == expect
    return response.content.decode()


def _review(page: str) -> str:
    found = re.search(r'data-testid="evidence-review"(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def _section(page: str) -> str:
    found = re.search(r'data-testid="evidence"(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def _custody(item: EvidenceItem) -> list[tuple[str, dict[str, str], int | None]]:
    """The item's custody events, without the views of its page."""
    return [(e.kind, e.details, e.actor_id)
            for e in CustodyEvent.objects.filter(item=item).exclude(kind="viewed").order_by("seq")]


def test_pavel_takes_an_item_into_review_and_anna_verifies_it_through_the_pages(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    paralegal = verified_client(pavel)
    review = _review(_page(paralegal, item))
    assert "Новое" in review
    # A new item can only go into review; a paralegal is never offered "verified".
    assert 'value="in_review"' in review
    assert 'value="verified"' not in review

    page = _post(paralegal, item, "status", {"status": "in_review", "current": "new", "note": ""})
    assert "№ 1 теперь: На проверке." in page
    review = _review(page)
    assert "pavel" in review
    assert 'value="verified"' not in review
    assert 'value="disputed"' in review
    assert "Отметить доказательство проверенным или отклонённым может юрист" in review

    # pavel posts "verified" anyway: refused, nothing changes; his note comes back in the form.
    page = _post(paralegal, item, "status", {"status": "verified", "current": "in_review", "note": "сверил"},
                 expect=400)
    assert "Отметить доказательство проверенным или отклонённым может только юрист" in page
    assert ">сверил</textarea>" in page
    item.refresh_from_db()
    assert item.status == "in_review"
    assert item.verified_by == pavel

    lawyer = verified_client(anna)
    assert 'value="verified"' in _review(_page(lawyer, item))
    page = _post(lawyer, item, "status", {"status": "verified", "current": "in_review",
                                          "note": "Сверено с оригиналом приказа в суде"})
    review = _review(page)
    assert "Проверено" in review
    assert "anna" in review
    assert "Сверено с оригиналом приказа в суде" in review
    item.refresh_from_db()
    assert (item.status, item.verified_by) == ("verified", anna)
    assert item.verified_at is not None
    assert b"\xd0\xa1\xd0\xb2\xd0\xb5\xd1\x80\xd0\xb5\xd0\xbd\xd0\xbe" not in bytes(item.verification_note)  # sealed
    assert item.decrypt(keyring_of(anna)).verification_note == "Сверено с оригиналом приказа в суде"

    # Custody: captured, then one "status changed" event per change, each with the status codes only;
    # the decision's time is its event's.
    assert [(kind, details, actor) for kind, details, actor in _custody(item) if kind != "captured"] == [
        ("status_changed", {"from": "new", "to": "in_review"}, pavel.pk),
        ("status_changed", {"from": "in_review", "to": "verified"}, anna.pk),
    ]
    assert CustodyEvent.objects.filter(item=item, kind="status_changed").latest("seq").at == item.verified_at
    assert custody_verify(item=item) == []
    audited = list(AuditEvent.objects.filter(action="evidence.status_changed", target_id=str(item.pk))
                   .order_by("pk").values_list("actor_id", "details"))
    assert [(actor, d["from"], d["to"], d["note"]) for actor, d in audited] == [
        (pavel.pk, "new", "in_review", False), (anna.pk, "in_review", "verified", True)]
    assert "Сверено" not in json.dumps([d for _a, d in audited], ensure_ascii=False)


@pytest.mark.parametrize(("start", "status", "message"), [
    ("new", "verified", "не может следовать"),  # a review first
    ("verified", "in_review", "не может следовать"),  # doubt about a verified item is a dispute first
    ("verified", "disputed", "Укажите в заметке причину"),  # with its reason
    ("in_review", "disputed", "Укажите в заметке причину"),  # a dispute needs its reason
    ("in_review", "rejected", "Укажите в заметке причину"),
])
def test_an_illegal_step_is_refused_with_a_message_and_changes_nothing(
    anna: User, case: Case, verified_client: Callable[[User], Client], start: str, status: str, message: str
) -> None:
    item = _item(case, anna)
    EvidenceItem.objects.filter(pk=item.pk).update(status=start)
    custody, audit = CustodyEvent.objects.count(), AuditEvent.objects.count()
    client = verified_client(anna)
    response = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/status/",
                           {"status": status, "current": start, "note": ""})
    assert response.status_code == 400  # the form again, with the message
    assert (CustodyEvent.objects.count(), AuditEvent.objects.count()) == (custody, audit)
    page = response.content.decode()
    assert message in page
    assert "Ничего не изменено" in page
    item.refresh_from_db()
    assert item.status == start
    assert item.verified_by is None


def test_disputed_and_rejected_go_back_into_review_and_a_stale_form_is_refused(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    lawyer, paralegal = verified_client(anna), verified_client(pavel)
    _post(lawyer, item, "status", {"status": "in_review", "current": "new"})
    page = _post(paralegal, item, "status", {"status": "disputed", "current": "in_review",
                                             "note": "Дата на печати не совпадает"})
    assert "Оспорено" in _review(page)
    # anna's form was opened before pavel's dispute: refused, she sees it.
    response = lawyer.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/status/",
                           {"status": "rejected", "current": "in_review", "note": "подделка"})
    assert response.status_code == 409
    assert "Коллега тем временем изменил статус" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "disputed"
    _post(lawyer, item, "status", {"status": "in_review", "current": "disputed"})
    _post(lawyer, item, "status", {"status": "rejected", "current": "in_review", "note": "Подделка"})
    _post(paralegal, item, "status", {"status": "in_review", "current": "rejected"})
    item.refresh_from_db()
    assert item.status == "in_review"
    assert [d["to"] for kind, d, _a in _custody(item) if kind == "status_changed"] == [
        "in_review", "disputed", "in_review", "rejected", "in_review"]


def test_flags_tags_and_description_are_saved_sealed_and_audited_by_field_names(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(anna)
    page = _post(client, item, "labels", {"description": "Приказ о командировке в/ч 12345", "graphic": "on",
                                          "tags": ["deployment_abroad", "order"]})
    assert "Сохранено." in page
    review = _review(page)
    assert 'name="graphic" checked' in review
    assert 'name="identifies_client" checked' not in review
    assert 'value="deployment_abroad" checked' in review
    assert 'value="order" checked' in review
    assert "Приказ о командировке в/ч 12345" in review
    item.refresh_from_db()
    assert item.graphic
    assert not item.identifies_client
    assert b"deployment" not in bytes(item.tags)
    assert json.loads(item.decrypt(keyring_of(anna)).tags or "") == ["deployment_abroad", "order"]
    event = AuditEvent.objects.get(action="evidence.labels_changed", target_id=str(item.pk))
    assert sorted(event.details["fields"]) == ["description", "graphic", "tags"]
    assert "12345" not in json.dumps(event.details)
    assert "deployment" not in json.dumps(event.details)
    # The chain records the flags as they now are and which fields changed, never the tags or the text.
    assert [(kind, details, actor) for kind, details, actor in _custody(item) if kind == "labelled"] == [
        ("labelled", {"identifies_client": False, "graphic": True, "fields": ["graphic", "tags", "description"]},
         anna.pk)]
    assert custody_verify(item=item) == []
    # A tag not on the list: refused, nothing changes.
    response = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/labels/", {"description": "x",
                                                                                 "tags": ["secret"]})
    assert response.status_code == 400
    assert "Выберите метки из списка" in response.content.decode()
    item.refresh_from_db()
    assert item.graphic
    assert AuditEvent.objects.filter(action="evidence.labels_changed").count() == 1
    assert CustodyEvent.objects.filter(item=item, kind="labelled").count() == 1


def test_links_to_claimants_and_events_show_both_ways_and_another_cases_are_refused(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    keys = keyring_of(anna)
    ivanov = _claimant(case, anna, "Иванов Иван Иванович")
    order = case_event_add(case=case, recorded_by=anna, keyring=keys, kind="dismissal_order",
                           happened_on=date(2026, 3, 12), claimant=ivanov)
    other_case = case_open(opened_by=anna, keyring=keys, title="Другое дело", number="2026-0202", group=True)
    stranger = _claimant(other_case, anna, "Петров Пётр")
    stranger_event = case_event_add(case=other_case, recorded_by=anna, keyring=keys, kind="order_received",
                                    happened_on=date(2026, 3, 1))
    _item(case, anna, "первый.pdf")
    item = _item(case, anna, "второй.pdf")  # № 2
    client = verified_client(anna)
    review = _review(_page(client, item))
    assert "Иванов Иван Иванович" in review
    assert "Петров" not in review
    assert "Приказ об увольнении, 12.03.2026" in review

    _post(client, item, "links", {"claimant": ivanov.pk})
    page = _post(client, item, "links", {"event": order.pk})
    links = re.search(r'data-testid="evidence-item-links">(.*?)</ul>', page, re.S)
    assert links is not None
    assert "Иванов Иван Иванович" in links.group(1)
    assert "12.03.2026" in links.group(1)
    assert AuditEvent.objects.filter(action="evidence.linked", target_id=str(item.pk)).count() == 2
    assert AuditEvent.objects.filter(action="person.read", actor=anna, details__where="evidence").exists()

    for refused in ({"claimant": stranger.pk}, {"event": stranger_event.pk}, {"claimant": 999999}):
        page = _post(client, item, "links", refused)
        assert "Связать можно только с человеком или событием из этого дела" in page
    assert set(EvidenceLink.objects.filter(item=item).values_list("claimant_id", "event_id")) == {
        (ivanov.pk, None), (None, order.pk)}

    # Both ways: the claimant's page and the case timeline say "evidence: № 2", linking to the item.
    target = f'href="/staff/cases/{case.pk}/evidence/{item.pk}/"'
    claimant_page = client.get(f"/staff/cases/{case.pk}/claimants/{ivanov.pk}/").content.decode()
    shown = re.search(r'data-testid="evidence-links">(.*?)</span>', claimant_page, re.S)
    assert shown is not None
    assert "№ 2" in shown.group(1)
    assert target in shown.group(1)
    timeline = re.search(r'data-testid="timeline"(.*?)</ol>', client.get(f"/staff/cases/{case.pk}/")
                         .content.decode(), re.S)
    assert timeline is not None
    assert target in timeline.group(1)

    # Removing a link.
    link = EvidenceLink.objects.get(item=item, event=order)
    _post(client, item, "links", {"remove": link.pk})
    assert not EvidenceLink.objects.filter(pk=link.pk).exists()
    assert AuditEvent.objects.filter(action="evidence.unlinked", target_id=str(item.pk),
                                     details__event=order.pk).count() == 1
    timeline = re.search(r'data-testid="timeline"(.*?)</ol>', client.get(f"/staff/cases/{case.pk}/")
                         .content.decode(), re.S)
    assert timeline is not None
    assert target not in timeline.group(1)


def test_the_case_page_lists_evidence_by_status_newest_first_with_a_tag_filter(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    keys = keyring_of(anna)
    from defensor.evidence.review import item_labels_set, item_status_set

    items = [_item(case, anna, f"файл-{n}.pdf") for n in range(1, 6)]
    for item in items[1:]:
        item_status_set(item=item, status="in_review", actor=anna, keyring=keys)
    item_status_set(item=items[2], status="verified", actor=anna, keyring=keys)
    item_status_set(item=items[3], status="rejected", actor=anna, keyring=keys, note="копия")
    item_labels_set(item=items[4], actor=anna, keyring=keys, identifies_client=True, graphic=True,
                    tags=["pressure"], description="Видео задержания")
    client = verified_client(anna)
    section = _section(client.get(f"/staff/cases/{case.pk}/").content.decode())
    headings = re.findall(r'data-testid="evidence-group-(\w+)"', section)
    assert headings == ["new", "in_review", "verified", "rejected"]
    groups = dict(zip(headings, re.split(r'data-testid="evidence-group-\w+"', section)[1:], strict=True))
    assert re.findall(r"файл-(\d)", groups["in_review"]) == ["5", "2"]  # newest first
    assert re.findall(r"файл-(\d)", groups["new"]) == ["1"]
    graphic = groups["in_review"].split("файл-5")[0]
    assert "Содержит сцены насилия:" in graphic  # the warning comes before its name
    assert "файл-2" not in graphic
    assert "Видео задержания" in groups["in_review"]
    assert "Давление" in groups["in_review"]

    filtered = _section(client.get(f"/staff/cases/{case.pk}/", {"evidence_tag": "pressure"}).content.decode())
    assert re.findall(r"файл-(\d)", filtered) == ["5"]
    assert re.findall(r'data-testid="evidence-group-(\w+)"', filtered) == ["in_review"]


def test_the_evidence_section_costs_no_query_per_item(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    _item(case, anna)
    client.get(f"/staff/cases/{case.pk}/")  # warm: sessions, keys

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
        return len(captured)

    one = queries()
    keys = keyring_of(anna)
    from defensor.evidence.review import item_labels_set

    for n in range(6):
        item = _item(case, anna, f"ещё-{n}.pdf")
        item_labels_set(item=item, actor=anna, keyring=keys, identifies_client=False, graphic=n % 2 == 0,
                        tags=["order"], description="")
    assert queries() == one


def test_people_who_may_not_see_the_case_get_404_a_volunteer_and_a_partner_too(
    anna: User, olga: User, boris: User, petra: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    claimant = _claimant(case, anna, "Иванов Иван")
    other = case_open(opened_by=anna, keyring=keyring_of(anna), title="Другое", number="2026-0303")
    custody, audit = CustodyEvent.objects.count(), AuditEvent.objects.count()
    outsider = verified_client(olga)  # an administrator the case is not shared with
    for what, data in (("status", {"status": "in_review"}), ("labels", {"graphic": "on"}),
                       ("links", {"claimant": claimant.pk})):
        url = f"/staff/cases/{case.pk}/evidence/{item.pk}/{what}/"
        assert outsider.post(url, data).status_code == 404
        # A volunteer's role works on no case: 404 too, never a 403 that says the URL is real.
        assert verified_client(boris).post(url, data).status_code == 404
    # An item id of another case under this case's URL: 404 too.
    assert verified_client(anna).post(f"/staff/cases/{other.pk}/evidence/{item.pk}/status/",
                                      {"status": "in_review"}).status_code == 404
    # A partner lawyer holds this case but not the other: the other's evidence is 404 to her.
    assert verified_client(petra).post(f"/staff/cases/{other.pk}/evidence/{item.pk}/status/",
                                       {"status": "in_review"}).status_code == 404
    item.refresh_from_db()
    assert item.status == "new"
    assert not item.graphic
    assert not EvidenceLink.objects.filter(item=item).exists()
    assert (CustodyEvent.objects.count(), AuditEvent.objects.count()) == (custody, audit)
    # Nor does an outsider see a claimant page with its evidence numbers.
    assert outsider.get(f"/staff/cases/{case.pk}/claimants/{claimant.pk}/").status_code == 404


def test_a_partner_lawyer_may_verify_and_the_roles_document_says_who_decides(
    anna: User, petra: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(petra)
    _post(client, item, "status", {"status": "in_review", "current": "new"})
    _post(client, item, "status", {"status": "verified", "current": "in_review"})
    item.refresh_from_db()
    assert (item.status, item.verified_by) == ("verified", petra)
    roles = (Path(__file__).resolve().parent.parent / "docs" / "roles.md").read_text(encoding="utf-8")
    assert "## Verifying evidence" in roles
    assert "not paralegals" in roles


def test_a_verified_item_found_doubtful_later_is_disputed_with_its_reason_by_a_paralegal(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    EvidenceItem.objects.filter(pk=item.pk).update(status="verified", verified_by=anna)
    paralegal = verified_client(pavel)
    assert 'value="disputed"' in _review(_page(paralegal, item))
    _post(paralegal, item, "status", {"status": "disputed", "current": "verified", "note": "подпись не та"})
    item.refresh_from_db()
    assert item.status == "disputed"
    assert CustodyEvent.objects.filter(item=item, kind="status_changed", details__to="disputed").exists()


def test_every_evidence_url_is_404_to_a_volunteer_and_a_partner_lawyer_who_does_not_hold_the_case(
    anna: User, boris: User, petra: User, make_user: Callable[..., User], case: Case,
    verified_client: Callable[[User], Client],
) -> None:
    """Whatever the method, and the same as for a case and an item that do not exist: nothing tells
    them the case is there. petra holds the case (the fixture shares it); her colleague does not."""
    from defensor.accounts.models import Role
    from defensor.evidence.bundle import bundle_request
    from tests.staff_urls import staff_urls_behind_login

    item = _item(case, anna)
    bundle = bundle_request(case=case, item_ids=[str(item.pk)], requested_by=anna, keyring=keyring_of(anna))
    routes = [url for url in staff_urls_behind_login() if url.route.startswith("/staff/cases/<case>/evidence/")]
    assert len(routes) >= 12
    clients = {"boris": verified_client(boris), "polina": verified_client(make_user("polina", Role.PARTNER))}
    custody, audit = CustodyEvent.objects.count(), AuditEvent.objects.count()
    for person, client in clients.items():
        for url in routes:
            real = url.path(case=case.pk, item=item.pk, bundle=bundle.pk)
            for answer in (client.get(real), client.post(real, {"status": "in_review", "graphic": "on"}),
                           client.get(url.path())):
                assert answer.status_code == 404, (person, url.route, answer.status_code)
                assert "приказ" not in answer.content.decode()
                assert "2026-0101" not in answer.content.decode()
    item.refresh_from_db()
    assert (item.status, item.graphic) == ("new", False)
    # Nothing was read or written for them: no custody event, no audit event.
    assert (CustodyEvent.objects.count(), AuditEvent.objects.count()) == (custody, audit)
    # petra, a partner lawyer the case is shared with, reaches the same pages.
    assert verified_client(petra).get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").status_code == 200


def _form(page: str, action: str) -> str:
    found = re.search(rf'<form method="post" action="[^"]*/{action}/"[^>]*>(.*?)</form>', page, re.S)
    assert found is not None, action
    return found.group(1)


def _hidden(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found is not None, name
    return found.group(1)


def test_a_status_change_a_colleague_overtook_comes_back_with_the_note_kept_and_the_new_status(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    """anna and pavel both have No. 1 open in review; pavel disputes it first. anna's rejection,
    with the reasons she typed, is refused: the form comes back at once with her note, the status
    pavel set and the steps that can follow it; she sends it again from there and it is saved."""
    item = _item(case, anna)
    EvidenceItem.objects.filter(pk=item.pk).update(status="in_review")
    lawyer, paralegal = verified_client(anna), verified_client(pavel)
    annas_form = _form(_page(lawyer, item), "status")  # page 1: her form is based on "in review"
    assert _hidden(annas_form, "current") == "in_review"
    _post(paralegal, item, "status", {"status": "disputed", "current": "in_review", "note": "печать смазана"})
    custody, audit = CustodyEvent.objects.count(), AuditEvent.objects.count()
    note = "Подпись командира не совпадает с образцом из дела № 2-118"
    response = lawyer.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/status/",  # page 2: refused
                           {"status": "rejected", "current": "in_review", "note": note})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Коллега тем временем изменил статус" in page
    assert "Оспорено" in page
    assert "печать смазана" in page
    form = _form(page, "status")
    assert f">{note}</textarea>" in form  # nothing she typed is lost
    assert _hidden(form, "current") == "disputed"
    assert 'value="in_review"' in form
    assert 'value="rejected"' not in form
    assert (CustodyEvent.objects.count(), AuditEvent.objects.count()) == (custody, audit)
    # Page 3: she sends it again from there (back into review, with her note).
    _post(lawyer, item, "status", {"status": "in_review", "current": _hidden(form, "current"), "note": note})
    item.refresh_from_db()
    assert (item.status, item.verified_by) == ("in_review", anna)
    assert item.decrypt(keyring_of(anna)).verification_note == note


def test_labels_a_colleague_saved_meanwhile_are_not_overwritten_and_both_versions_are_shown(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    """anna and pavel both open No. 1. pavel saves a description and a tag; anna, whose form was
    opened before that, saves her own description and 'graphic': refused, and her page shows what
    pavel saved and her form as she filled it. 'Save mine instead' then saves hers knowingly."""
    item = _item(case, anna)
    lawyer, paralegal = verified_client(anna), verified_client(pavel)
    annas_version = _hidden(_form(_page(lawyer, item), "labels"), "labels_version")
    pavels_version = _hidden(_form(_page(paralegal, item), "labels"), "labels_version")
    assert annas_version == pavels_version
    # Looking at the item (a "viewed" custody event) is not a change that refuses a save.
    _page(paralegal, item)
    _post(paralegal, item, "labels", {"description": "Приказ № 17 о командировке", "tags": ["order"],
                                      "labels_version": pavels_version})
    custody, audit = CustodyEvent.objects.count(), AuditEvent.objects.count()
    response = lawyer.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/labels/", {
        "description": "Фото приказа, снято на телефон", "graphic": "on", "tags": ["dismissal"],
        "labels_version": annas_version})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Коллега сохранил" in page
    theirs = re.search(r'data-testid="labels-theirs"(.*?)</div>', page, re.S)
    assert theirs is not None
    assert "Приказ № 17 о командировке" in theirs.group(1)
    assert "Приказы" in theirs.group(1)
    form = _form(page, "labels")
    assert ">Фото приказа, снято на телефон</textarea>" in form
    assert 'name="graphic" checked' in form
    assert 'value="dismissal" checked' in form
    assert 'value="order" checked' not in form
    assert (CustodyEvent.objects.count(), AuditEvent.objects.count()) == (custody, audit)
    item.refresh_from_db()
    assert (item.decrypt(keyring_of(anna)).description, item.graphic) == ("Приказ № 17 о командировке", False)
    # She decides hers should stand: sent again from the refused page, it is saved over pavel's.
    page = _post(lawyer, item, "labels", {"description": "Фото приказа, снято на телефон", "graphic": "on",
                                          "tags": ["dismissal"], "labels_version": _hidden(form, "labels_version")})
    assert "Сохранено." in page
    item.refresh_from_db()
    assert item.graphic
    assert item.decrypt(keyring_of(anna)).description == "Фото приказа, снято на телефон"
    assert [list(d["fields"]) for kind, d, _a in _custody(item) if kind == "labelled"] == [
        ["tags", "description"], ["graphic", "tags", "description"]]
