"""Cases as the team works them: a group claim whose claimants withdraw under pressure and come
back, who may see a case (and who stops seeing it at once), two people editing one case, mistakes
that keep what was typed, the dashboard, and texts that never reach the database in the clear."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from defensor.access.services import record_holders
from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    Claimant,
    ClaimantStatus,
    ClaimantStatusChange,
    EventKind,
    Task,
)
from defensor.core.errors import InvalidOperation
from defensor.keys.models import KeyGrant
from defensor.people.services import person_create
from tests.canary import stored_bytes
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db
MakeUser = Callable[..., User]
ClientFor = Callable[[User], Client]

TWELVE = [
    "Иванов Сергей Петрович", "Петров Алексей Николаевич", "Сидоров Дмитрий Олегович",
    "Кузнецов Артём Игоревич", "Смирнов Павел Андреевич", "Попов Илья Викторович",
    "Соколов Максим Юрьевич", "Лебедев Никита Сергеевич", "Козлов Роман Александрович",
    "Новиков Егор Денисович", "Морозов Кирилл Владимирович", "Волков Антон Евгеньевич",
]
# What an English-speaking lawyer reads in the "Why" column.
REASON_SHOWN = {
    "voluntary": "Of their own will",
    "family": "Under pressure from family",
    "criminal_threat": "Under threat of a criminal case",
    "command": "Under pressure from the command",
    "other_pressure": "Under other pressure",
}


# --- reading pages as a user does ------------------------------------------------------------------


def _text(fragment: str) -> str:
    """What a reader sees of a piece of HTML: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _elements(page: str, testid: str) -> list[str]:
    """The inner HTML of every element marked with ``data-testid`` (elements of one testid do not nest)."""
    pattern = rf'<(\w+)\b[^>]*\bdata-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>'
    return [inner for _, inner in re.findall(pattern, page, re.S)]


def _element(page: str, testid: str) -> str:
    found = _elements(page, testid)
    assert len(found) == 1, f"{len(found)} elements with data-testid={testid}"
    return found[0]


def _day(on: date) -> str:
    return f"{on:%d.%m.%Y}"


class _FormReader(HTMLParser):
    """The fields a browser would send from the form posting to ``action``, in page order."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._textarea_text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form" and attr.get("action") == self.action and not self.found:
            self.inside = self.found = True
        if not self.inside:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = (attr.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            if kind not in ("submit", "button", "reset"):
                self.fields.append((name, attr.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attr.get("value") or "", "selected" in attr))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea_text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None


def _form(page: str, action: str) -> dict[str, list[str]]:
    reader = _FormReader(action)
    reader.feed(page)
    assert reader.found, f"no form posting to {action}"
    values: dict[str, list[str]] = {}
    for name, value in reader.fields:
        values.setdefault(name, []).append(value)
    return values


@dataclass(frozen=True)
class RosterLine:
    name: str
    status: str
    since: str
    why: str


def _roster(page: str) -> list[RosterLine]:
    lines = []
    for row in _elements(page, "roster-row"):
        cells = [_text(cell) for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)]
        # … name, unit, status, since, why, dismissal order, next deadline, last contact (a tick box
        # first, if any)
        lines.append(RosterLine(name=cells[-8], status=cells[-6], since=cells[-5], why=cells[-4]))
    return lines


# --- setting the scene --------------------------------------------------------------------------


def _group_case(lawyer: User, title: str, names: list[str]) -> tuple[Case, list[Claimant]]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title=title, group=True, kind="military_admin")
    claimants = [
        cases.claimant_add(
            case=case, added_by=lawyer, keyring=keyring,
            person=person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0]),
        )
        for name in names
    ]
    return case, claimants


def _url(name: str, *args: int) -> str:
    return reverse(f"staff:{name}", args=args)


def _history(client: Client, claimant: Claimant) -> list[tuple[str, str]]:
    page = client.get(_url("case-claimant", claimant.case_id, claimant.pk)).content.decode()
    pattern = r'<li data-testid="history-(\w+)">(.*?)</li>'
    return [(kind, _text(line)) for kind, line in re.findall(pattern, page, re.S)]


# --- 1. the story: nine of twelve withdraw under pressure ------------------------------------------------


def test_nine_of_twelve_claimants_withdraw_under_pressure_and_one_comes_back(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    client = verified_client(lev)
    opened = client.post(_url("case-new"), {
        "title": "Двенадцать гвардейцев: незаконный приказ о направлении за границу", "number": "",
        "kind": "military_admin", "group": "on", "stage": "preparation", "outcome": "pending",
        "court": "", "court_number": "", "summary": "",
    })
    case = Case.objects.get()
    assert opened.status_code == 302
    assert opened["Location"] == _url("case", case.pk)
    assert case.group is True
    keyring = keyring_of(lev)
    twelve = [
        cases.claimant_add(case=case, added_by=lev, keyring=keyring,
                           person=person_create(created_by=lev, keyring=keyring, full_name=name,
                                                surname=name.split()[0]))
        for name in TWELVE
    ]
    by_name = dict(zip(TWELVE, twelve, strict=True))
    today = timezone.localdate()

    # Nine withdraw on one day; the roster's form takes those of one reason at a time.
    withdrawals = [  # reason, how many, ticked "record as an incident", the note typed
        ("family", 3, True, "Родители требуют забрать иск"),
        ("criminal_threat", 2, True, "Следователь грозит делом по ст. 332 УК"),
        ("command", 2, False, "Командир части вызывал по одному"),
        ("other_pressure", 1, True, "Звонки с неизвестных номеров"),
        ("voluntary", 1, True, "Решил сам, давления не называет"),
    ]
    reason_of: dict[int, tuple[str, str, bool]] = {}
    expected_audit = []
    start = 0
    for reason, count, incident, note in withdrawals:
        chosen = twelve[start:start + count]
        start += count
        form = {"claimants": [str(c.pk) for c in chosen], "status": "withdrawn", "effective_on": today.isoformat(),
                "reason": reason, "note": note}
        if incident:
            form["incident"] = "on"
        response = client.post(_url("case-roster-status", case.pk), form)
        assert response.status_code == 302, _text(response.content.decode())[:500]
        assert response["Location"] == _url("case-roster", case.pk)
        is_incident = incident and reason != "voluntary"
        reason_of.update({c.pk: (reason, note, is_incident) for c in chosen})
        expected_audit.append((lev.pk, sorted(c.pk for c in chosen), "withdrawn", reason, today.isoformat(),
                               is_incident))

    page = client.get(_url("case-roster", case.pk)).content.decode()
    lines = _roster(page)
    assert [line.name for line in lines] == TWELVE
    assert Counter(line.status for line in lines) == {"withdrawn": 9, "active": 3}
    for line in lines:
        claimant = by_name[line.name]
        if claimant.pk in reason_of:
            assert (line.status, line.since, line.why) == (
                "withdrawn", _day(today), REASON_SHOWN[reason_of[claimant.pk][0]]
            ), line.name
        else:
            assert (line.status, line.why) == ("active", ""), line.name
    assert _text(_element(page, "roster-counts")) == "active: 3 withdrawn: 9"
    listed = client.get(_url("cases")).content.decode()
    assert "3 of 12 in the claim" in _text(_element(listed, "case-row"))

    # The audit log says who changed whose status, to what, why and since when.
    logged = AuditEvent.objects.filter(action="case.claimant_status", target_type="cases.case",
                                       target_id=str(case.pk)).order_by("seq")
    assert [(e.actor_id, sorted(e.details["claimants"]), e.details["status"], e.details["reason"],
             e.details["effective_on"], e.details["incident"]) for e in logged] == expected_audit

    # The pressure is kept as incidents of the case (not for the one who left of their own will).
    incidents = CaseEvent.objects.filter(case=case, kind=EventKind.PRESSURE)
    assert sorted(e.claimant_id or 0 for e in incidents) == sorted(
        pk for pk, (_, _, is_incident) in reason_of.items() if is_incident
    )
    case_page = client.get(_url("case", case.pk)).content.decode()
    # (each event line also holds a small form to correct its date: not part of what it says)
    assert [_text(re.sub(r"<form.*?</form>", "", e, flags=re.S)) for e in _elements(case_page, "timeline-event")].count(
        f"{_day(today)} Pressure (incident) — " + TWELVE[0] + " Родители требуют забрать иск lev"
    ) == 1
    assert sum("Pressure (incident)" in _text(e) for e in _elements(case_page, "timeline-event")) == 6

    # Each claimant's history holds exactly their own lines.
    joined = f"{_day(today)} added to the claim lev"
    for claimant in twelve:
        history = _history(client, claimant)
        if claimant.pk not in reason_of:
            assert history == [("status", joined)]
            continue
        reason, note, is_incident = reason_of[claimant.pk]
        left = f"{_day(today)} withdrawn ({REASON_SHOWN[reason]}) {note} lev"
        assert [text for kind, text in history if kind == "status"] == [joined, left]
        assert [text for kind, text in history if kind == "event"] == (
            [f"{_day(today)} Pressure (incident) {note} lev"] if is_incident else []
        )
        assert {kind for kind, _ in history} <= {"status", "event"}

    page = client.get(_url("case-claimant", case.pk, twelve[3].pk)).content.decode()
    assert _text(_element(page, "claimant-status")) == (
        f"withdrawn, since {_day(today)} (Under threat of a criminal case)"
    )

    # One of them comes back into the claim.
    back = twelve[0]
    response = client.post(_url("case-claimant-status", case.pk, back.pk), {
        "status": "reinstated", "effective_on": today.isoformat(), "reason": "", "note": "Вернулся в иск",
    })
    assert response.status_code == 302
    assert response["Location"] == _url("case-claimant", case.pk, back.pk)
    lines = _roster(client.get(_url("case-roster", case.pk)).content.decode())
    assert Counter(line.status for line in lines) == {"withdrawn": 8, "active": 3, "reinstated": 1}
    assert lines[0] == RosterLine(TWELVE[0], "reinstated", _day(today), "")
    history = _history(client, back)
    assert [text for kind, text in history if kind == "status"] == [
        joined, f"{_day(today)} withdrawn (Under pressure from family) Родители требуют забрать иск lev",
        f"{_day(today)} reinstated Вернулся в иск lev",
    ]
    page = client.get(_url("case-claimant", case.pk, back.pk)).content.decode()
    assert _text(_element(page, "claimant-status")) == f"reinstated, since {_day(today)}"
    last = AuditEvent.objects.filter(action="case.claimant_status").order_by("-seq").first()
    assert last is not None
    assert (last.actor_id, last.details["claimants"], last.details["status"], last.details["reason"],
            last.details["effective_on"]) == (lev.pk, [back.pk], "reinstated", None, today.isoformat())
    assert "4 of 12 in the claim" in _text(_element(client.get(_url("cases")).content.decode(), "case-row"))


def test_a_withdrawal_learnt_of_late_shows_its_own_date_and_reason(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    """The team often hears of a withdrawal days after it happened, and enters a group claim's
    claimants after they joined it: the withdrawal is dated when it happened."""
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (claimant,) = _group_case(lev, "Группа", ["Гусев Андрей Ильич"])
    last_week = timezone.localdate() - timedelta(days=7)
    client = verified_client(lev)
    response = client.post(_url("case-claimant-status", case.pk, claimant.pk), {
        "status": "withdrawn", "effective_on": last_week.isoformat(), "reason": "criminal_threat",
        "note": "Вызывали к следователю",
    })
    assert response.status_code == 302
    (line,) = _roster(client.get(_url("case-roster", case.pk)).content.decode())
    assert line == RosterLine("Гусев Андрей Ильич", "withdrawn", _day(last_week), "Under threat of a criminal case")
    page = client.get(_url("case-claimant", case.pk, claimant.pk)).content.decode()
    assert _text(_element(page, "claimant-status")) == (
        f"withdrawn, since {_day(last_week)} (Under threat of a criminal case)"
    )


# --- 2. who may see a case ----------------------------------------------------------------------------


def test_someone_without_access_gets_404_on_every_page_of_the_case_and_changes_nothing(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    vera = make_user("vera", Role.LAWYER, language="en")  # may do everything, but not on this case
    case, (claimant,) = _group_case(anna, "Дело Анны", ["Гусев Андрей Ильич"])
    task = cases.case_task_add(case=case, created_by=anna, keyring=keyring_of(anna), title="Позвонить в суд",
                               assignee=anna)
    own = cases.case_open(opened_by=vera, keyring=keyring_of(vera), title="Vera's own case", group=True)
    event = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring_of(anna), kind="dismissal_order",
                                 happened_on=timezone.localdate(), claimant=claimant)
    today = timezone.localdate().isoformat()
    forms = {
        "case": {}, "case-roster": {}, "case-claimant": {},
        "case-edit": {"title": "Захвачено", "kind": "other", "stage": "closed", "outcome": "refused", "court": "",
                      "court_number": "", "summary": "", "version": "1"},
        "case-event": {"kind": "hearing", "happened_on": today, "text": "Чужое событие", "claimant": ""},
        "case-note": {"text": "Чужая заметка"},
        "case-task": {"title": "Чужая задача", "assignee": "", "due_on": ""},
        "case-task-done": {},
        "case-event-date": {"happened_on": "2020-01-01"},
        "case-access": {"user": str(vera.pk)},
        "case-roster-status": {"claimants": [str(claimant.pk)], "status": "paused", "effective_on": today,
                               "reason": "", "note": ""},
        "case-claimant-status": {"status": "paused", "effective_on": today, "reason": "", "note": ""},
    }
    reads = {"case", "case-roster", "case-claimant"}

    def path(name: str, case_id: int, claimant_id: int, task_id: int) -> str:
        if name in ("case-claimant", "case-claimant-status"):
            return _url(name, case_id, claimant_id)
        if name == "case-task-done":
            return _url(name, case_id, task_id)
        if name == "case-event-date":
            return _url(name, case_id, event.pk if case_id == case.pk else 999999)
        return _url(name, case_id)

    client = verified_client(vera)
    for name, data in forms.items():
        real = path(name, case.pk, claimant.pk, task.pk)
        nowhere = path(name, 999999, 999999, 999999)
        for method in ("get", "post"):
            answer = getattr(client, method)(real, data if method == "post" else {}).status_code
            served = (method == "get") == (name in reads)
            if served:
                assert answer == 404, f"{method.upper()} {name}: {answer}"
            # Whatever the answer, it is the one a case that does not exist gets: nothing leaks.
            assert answer == getattr(client, method)(nowhere, data if method == "post" else {}).status_code, name
    # Another case's claimant or task through a case one does hold: not found either.
    assert client.get(_url("case-claimant", own.pk, claimant.pk)).status_code == 404
    assert client.post(_url("case-claimant-status", own.pk, claimant.pk), forms["case-claimant-status"]
                       ).status_code == 404
    assert client.post(_url("case-task-done", own.pk, task.pk)).status_code == 404
    assert client.post(_url("case-event-date", own.pk, event.pk), forms["case-event-date"]).status_code == 404
    event.refresh_from_db()
    assert event.happened_on == timezone.localdate()
    assert client.post(_url("case-roster-status", own.pk), forms["case-roster-status"]).status_code == 400

    claimant.refresh_from_db()
    task.refresh_from_db()
    case.refresh_from_db()
    assert claimant.status == ClaimantStatus.ACTIVE
    assert ClaimantStatusChange.objects.filter(claimant=claimant).count() == 1
    assert task.done_at is None
    assert (case.version, case.stage, case.decrypt(keyring_of(anna)).title) == (1, "preparation", "Дело Анны")
    assert not CaseNote.objects.exists()
    assert list(CaseEvent.objects.all()) == [event]  # Anna's own, unchanged
    assert Task.objects.filter(case=case).count() == 1
    assert not KeyGrant.objects.filter(user=vera, material=case.data_key).exists()
    assert not AuditEvent.objects.filter(actor=vera, target_type="cases.case", target_id=str(case.pk)).exists()


def test_a_case_one_cannot_open_is_in_no_list_and_no_count(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    vera = make_user("vera", Role.LAWYER, language="en")
    anna_keys = keyring_of(anna)
    annas = [cases.case_open(opened_by=anna, keyring=anna_keys, title=f"Дело Анны №{n}") for n in range(24)]
    group, (claimant,) = _group_case(anna, "Группа Анны", ["Гусев Андрей Ильич"])
    annas.append(group)
    # Nobody has spoken with him for a month: a follow-up on Anna's dashboard, on nobody else's.
    Claimant.objects.filter(pk=claimant.pk).update(added_at=timezone.now() - timedelta(days=30),
                                                   last_contact_on=timezone.localdate() - timedelta(days=30))
    cases.case_task_add(case=group, created_by=anna, keyring=anna_keys, title="Позвонить Гусеву", assignee=anna,
                        due_on=timezone.localdate() - timedelta(days=1))
    own = cases.case_open(opened_by=vera, keyring=keyring_of(vera), title="Vera's own case")

    # Anna sees her 25 cases on one page, her follow-up and her late task (what would leak).
    annas_page = verified_client(anna).get(_url("cases")).content.decode()
    assert len(_elements(annas_page, "case-row")) == 25
    assert own.number not in annas_page
    annas_home = verified_client(anna).get(_url("home")).content.decode()
    assert "Гусев Андрей Ильич" in _element(annas_home, "follow-ups")
    assert "Позвонить Гусеву" in _element(annas_home, "my-tasks")

    client = verified_client(vera)
    page = client.get(_url("cases")).content.decode()
    rows = _elements(page, "case-row")
    assert len(rows) == 1
    assert own.number in rows[0]
    assert _text(_element(page, "page-number")) == "Page 1"
    assert "Next" not in _text(page)  # 26 cases in the organisation would make a second page
    for case in annas:
        assert case.number not in page
    searched = client.get(_url("cases"), {"number": group.number}).content.decode()
    assert not _elements(searched, "case-row")
    assert "No cases." in _text(searched)

    home = client.get(_url("home")).content.decode()
    assert [own.number] == re.findall(r"\d{4}-\d{4}", _element(home, "my-cases"))
    assert _text(_element(home, "follow-ups")).endswith("Everyone has been contacted recently.")
    assert _text(_element(home, "my-tasks")) == "Tasks due Nothing due this week."
    for case in annas:
        assert case.number not in home
    assert "Гусев" not in home


def test_taking_a_case_away_works_on_the_next_request(
    anna: User, pavel: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    marta = make_user("marta", Role.PARTNER, language="en")
    case, (claimant,) = _group_case(anna, "Дело о дезертирстве", ["Гусев Андрей Ильич"])
    lawyer = verified_client(anna)
    for user in (pavel, marta):
        assert lawyer.post(_url("case-access", case.pk), {"user": str(user.pk)}).status_code == 302
    holders = _elements(lawyer.get(_url("case", case.pk)).content.decode(), "holder")
    assert [_text(h).split()[0] for h in holders] == ["anna", "pavel", "marta"]
    colleagues = {user: verified_client(user) for user in (pavel, marta)}
    for user, client in colleagues.items():
        assert client.get(_url("case", case.pk)).status_code == 200, user.username
        assert case.number in client.get(_url("cases")).content.decode()
        assert client.get(_url("case-claimant", case.pk, claimant.pk)).status_code == 200
    assert colleagues[pavel].get(_url("person", claimant.person_id)).status_code == 200

    for user in (pavel, marta):
        taken = lawyer.post(_url("case-access", case.pk), {"user": str(user.pk), "action": "revoke"})
        assert taken.status_code == 302
    for user, client in colleagues.items():
        assert client.get(_url("case", case.pk)).status_code == 404, user.username
        assert client.get(_url("case-roster", case.pk)).status_code == 404
        assert client.post(_url("case-note", case.pk), {"text": "Ещё одна заметка"}).status_code == 404
        assert case.number not in client.get(_url("cases")).content.decode()
        assert case.number not in client.get(_url("home")).content.decode()
    # The claimant's own record goes with the case.
    assert colleagues[pavel].get(_url("person", claimant.person_id)).status_code == 404
    assert not CaseNote.objects.exists()
    holders = _elements(lawyer.get(_url("case", case.pk)).content.decode(), "holder")
    assert [_text(h).split()[0] for h in holders] == ["anna"]
    assert [(e.action, e.actor_id, e.details["user"]) for e in AuditEvent.objects.filter(
        action__in=["case.shared", "case.unshared"], target_id=str(case.pk)).order_by("seq")] == [
        ("case.shared", anna.pk, pavel.pk), ("case.shared", anna.pk, marta.pk),
        ("case.unshared", anna.pk, pavel.pk), ("case.unshared", anna.pk, marta.pk),
    ]


def test_a_partner_lawyer_reads_and_adds_to_a_shared_case_but_changes_no_status(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    marta = make_user("marta", Role.PARTNER, language="en")
    case, claimants = _group_case(anna, "Совместное дело с партнёрами", TWELVE[:2])
    assert verified_client(anna).post(_url("case-access", case.pk), {"user": str(marta.pk)}).status_code == 302
    # Someone added after the case was shared is readable too.
    keyring = keyring_of(anna)
    claimants.append(cases.claimant_add(
        case=case, added_by=anna, keyring=keyring,
        person=person_create(created_by=anna, keyring=keyring, full_name=TWELVE[2], surname="Сидоров"),
    ))
    client = verified_client(marta)

    listed = client.get(_url("cases")).content.decode()
    assert case.number in listed
    assert f'href="{_url("case-new")}"' not in listed
    page = client.get(_url("case", case.pk)).content.decode()
    assert _text(_element(page, "case-title")) == f"{case.number} — Совместное дело с партнёрами"
    roster = client.get(_url("case-roster", case.pk)).content.decode()
    assert [line.name for line in _roster(roster)] == TWELVE[:3]
    assert 'name="claimants"' not in roster  # no status form for her
    one = client.get(_url("case-claimant", case.pk, claimants[0].pk)).content.decode()
    assert _text(_element(one, "claimant-name")) == TWELVE[0]

    today = timezone.localdate()
    assert client.post(_url("case-note", case.pk), {"text": "Партнёр: запросить приказ в части"}).status_code == 302
    assert client.post(_url("case-event", case.pk), {
        "kind": "hearing", "happened_on": today.isoformat(), "text": "Заседание назначено", "claimant": "",
    }).status_code == 302
    timeline = _text(_element(client.get(_url("case", case.pk)).content.decode(), "timeline"))
    assert "Партнёр: запросить приказ в части marta" in timeline
    assert "Hearing Заседание назначено marta" in timeline

    refused = {
        "roster status": client.post(_url("case-roster-status", case.pk), {
            "claimants": [str(claimants[0].pk)], "status": "withdrawn", "effective_on": today.isoformat(),
            "reason": "family", "note": ""}),
        "claimant status": client.post(_url("case-claimant-status", case.pk, claimants[0].pk), {
            "status": "paused", "effective_on": today.isoformat(), "reason": "", "note": ""}),
        "open form": client.get(_url("case-new")),
        "open": client.post(_url("case-new"), {"title": "Своё дело", "kind": "other", "stage": "preparation",
                                               "outcome": "pending"}),
        "edit": client.post(_url("case-edit", case.pk), {"title": "Переименовано", "kind": "other",
                                                          "stage": "preparation", "outcome": "pending",
                                                          "version": "1"}),
        "share": client.post(_url("case-access", case.pk), {"user": str(anna.pk), "action": "revoke"}),
    }
    assert {what: r.status_code for what, r in refused.items()} == dict.fromkeys(refused, 403)
    assert set(Claimant.objects.filter(case=case).values_list("status", flat=True)) == {ClaimantStatus.ACTIVE}
    assert ClaimantStatusChange.objects.count() == 3
    assert Case.objects.count() == 1
    assert Case.objects.get().version == 1
    assert KeyGrant.objects.filter(user=anna, material=case.data_key, wrapped__isnull=False).exists()

    # Everything she saw and did is in the audit log.
    hers = AuditEvent.objects.filter(actor=marta, target_type="cases.case", target_id=str(case.pk))
    assert {e.details["where"] for e in hers.filter(action="case.read")} == {"case", "roster", "claimant"}
    assert hers.filter(action="case.note_added").count() == 1
    assert [e.details["kind"] for e in hers.filter(action="case.event_added")] == ["hearing"]
    assert not hers.filter(action="case.claimant_status").exists()


def _reads(actor: User, after: int) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(actor=actor, seq__gt=after).order_by("seq")
            if e.action.endswith(".read")]


def _mentions(event: AuditEvent, model: str, pk: int) -> bool:
    if event.target_type == model and event.target_id == str(pk):
        return True
    listed = event.details.get("cases" if model == "cases.case" else "people") or []
    return pk in listed or str(pk) in listed


def test_the_case_list_and_the_dashboard_are_audited_reads_too(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    """They show case titles, task titles and claimants' names: reads of personal data, as the
    case page, the roster and the claimant's page are (and as the inbox and the accept form are)."""
    marta = make_user("marta", Role.PARTNER, language="en")
    case, (claimant,) = _group_case(anna, "Совместное дело с партнёрами", ["Гусев Андрей Ильич"])
    cases.case_share(case=case, to_user=marta, shared_by=anna, keyring=keyring_of(anna))
    Claimant.objects.filter(pk=claimant.pk).update(added_at=timezone.now() - timedelta(days=30),
                                                   last_contact_on=timezone.localdate() - timedelta(days=30))
    client = verified_client(marta)

    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    listed = client.get(_url("cases")).content.decode()
    assert "Совместное дело с партнёрами" in listed
    list_audited = any(_mentions(e, "cases.case", case.pk) for e in _reads(marta, before))

    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    home = client.get(_url("home")).content.decode()
    assert "Гусев Андрей Ильич" in _element(home, "follow-ups")
    # The name shown is a read of the person's record, whether or not the case is mentioned too.
    dashboard_audited = any(_mentions(e, "people.person", claimant.person_id) for e in _reads(marta, before))
    assert {"case list": list_audited, "dashboard": dashboard_audited} == {"case list": True, "dashboard": True}


# --- 3. two people editing one case -------------------------------------------------------------------


def test_an_edit_made_on_an_older_version_is_refused_and_keeps_what_was_typed(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case = cases.case_open(opened_by=anna, keyring=keyring_of(anna), title="Приказ о направлении за границу")
    cases.case_share(case=case, to_user=lev, shared_by=anna, keyring=keyring_of(anna))
    edit = _url("case-edit", case.pk)
    annas, levs = verified_client(anna), verified_client(lev)
    annas_form = _form(annas.get(_url("case", case.pk)).content.decode(), edit)
    levs_form = _form(levs.get(_url("case", case.pk)).content.decode(), edit)
    assert annas_form["version"] == levs_form["version"] == ["1"]

    annas_form.update(title=["Незаконный приказ: отказ от командировки"], stage=["pre_trial"])
    assert annas.post(edit, annas_form).status_code == 302
    levs_form.update(title=["Refusal to deploy abroad (Lev's wording)"], summary=["Текст, который набрал Лев"],
                     stage=["first_instance"])
    stale = levs.post(edit, levs_form)

    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone else changed this case while you were editing it." in _text(page)
    assert _text(_element(page, "case-title")) == f"{case.number} — Незаконный приказ: отказ от командировки"
    kept = _form(page, edit)
    assert kept["title"] == ["Refusal to deploy abroad (Lev's wording)"]
    assert kept["summary"] == ["Текст, который набрал Лев"]
    assert kept["stage"] == ["first_instance"]
    case.refresh_from_db()
    values = case.decrypt(keyring_of(anna))
    assert (case.version, case.stage, values.title, values.summary) == (
        2, "pre_trial", "Незаконный приказ: отказ от командировки", ""
    )
    assert [(e.actor_id, e.details["version"]) for e in AuditEvent.objects.filter(action="case.edited")] == [
        (anna.pk, 2)
    ]

    # Having checked his colleague's version, he saves his again: now it is written.
    assert levs.post(edit, kept).status_code == 302
    case.refresh_from_db()
    assert (case.version, case.stage, case.decrypt(keyring_of(lev)).title) == (
        3, "first_instance", "Refusal to deploy abroad (Lev's wording)"
    )


# --- 4. mistakes keep what was typed ---------------------------------------------------------------------


def test_a_withdrawal_without_a_reason_is_refused_and_keeps_the_note(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (claimant,) = _group_case(lev, "Группа", ["Гусев Андрей Ильич"])
    client = verified_client(lev)
    action = _url("case-claimant-status", case.pk, claimant.pk)
    form = _form(client.get(_url("case-claimant", case.pk, claimant.pk)).content.decode(), action)
    form.update(status=["withdrawn"], reason=[""], note=["Сказал, что его вызывали в военкомат"])
    refused = client.post(action, form)

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Say why the claimant withdraws: of their own will, or under which pressure." in _text(page)
    kept = _form(page, action)
    assert (kept["status"], kept["note"]) == (["withdrawn"], ["Сказал, что его вызывали в военкомат"])
    claimant.refresh_from_db()
    assert claimant.status == ClaimantStatus.ACTIVE
    assert ClaimantStatusChange.objects.filter(claimant=claimant).count() == 1
    assert not AuditEvent.objects.filter(action="case.claimant_status").exists()

    # The same on the roster: the ticked claimants stay ticked.
    roster_action = _url("case-roster-status", case.pk)
    refused = client.post(roster_action, {"claimants": [str(claimant.pk)], "status": "withdrawn",
                                          "effective_on": timezone.localdate().isoformat(), "reason": "",
                                          "note": "Мать просила выйти"})
    assert refused.status_code == 400
    kept = _form(refused.content.decode(), roster_action)
    assert (kept["claimants"], kept["note"]) == ([str(claimant.pk)], ["Мать просила выйти"])
    assert Claimant.objects.get(pk=claimant.pk).status == ClaimantStatus.ACTIVE


def test_an_event_with_an_impossible_date_is_refused_and_keeps_the_text(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (claimant,) = _group_case(lev, "Группа", ["Гусев Андрей Ильич"])
    client = verified_client(lev)
    action = _url("case-event", case.pk)
    refused = client.post(action, {"kind": "hearing", "happened_on": "31.02.2026", "claimant": "",
                                   "text": "Заседание перенесли на месяц"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Enter a date like 25.05.2022." in _text(page)
    kept = _form(page, action)
    assert (kept["kind"], kept["happened_on"], kept["text"]) == (
        ["hearing"], ["31.02.2026"], ["Заседание перенесли на месяц"]
    )
    assert f'<option value="{claimant.pk}">Гусев Андрей Ильич</option>' in page  # named, not numbered

    # From a claimant's page: the text and the claimant are kept.
    refused = client.post(action, {"kind": "contact", "happened_on": "вчера", "claimant": str(claimant.pk),
                                   "text": "Говорили по Signal", "back": _url("case-claimant", case.pk, claimant.pk)})
    assert refused.status_code == 400
    kept = _form(refused.content.decode(), action)
    assert (kept["kind"], kept["claimant"], kept["text"]) == (["contact"], [str(claimant.pk)], ["Говорили по Signal"])

    # Sent from the claimant's own page, that page is shown again: the claimant named, not numbered.
    refused = client.post(action, {"kind": "contact", "happened_on": "вчера", "claimant": str(claimant.pk),
                                   "text": "Звонил сам", "claimant_page": "1",
                                   "back": _url("case-claimant", case.pk, claimant.pk)})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert _text(_element(page, "claimant-name")) == "Гусев Андрей Ильич"
    kept = _form(page, action)
    assert (kept["kind"], kept["claimant"], kept["text"]) == (["contact"], [str(claimant.pk)], ["Звонил сам"])
    assert f'<option value="{claimant.pk}" selected>Гусев Андрей Ильич</option>' in page
    assert not CaseEvent.objects.exists()
    assert Claimant.objects.get(pk=claimant.pk).last_contact_on == timezone.localdate()  # the day added, unchanged


# --- 5. a bulk change is all or nothing ------------------------------------------------------------------


def test_a_bulk_change_with_a_claimant_of_another_case_changes_nobody(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, ours = _group_case(lev, "Наша группа", TWELVE[:2])
    _, (theirs,) = _group_case(lev, "Другая группа", TWELVE[2:3])
    client = verified_client(lev)
    refused = client.post(_url("case-roster-status", case.pk), {
        "claimants": [str(c.pk) for c in [*ours, theirs]], "status": "withdrawn",
        "effective_on": timezone.localdate().isoformat(), "reason": "family", "incident": "on", "note": "",
    })
    assert refused.status_code == 400
    assert "This action is not possible in the current state." in _text(refused.content.decode())
    assert set(Claimant.objects.values_list("status", flat=True)) == {ClaimantStatus.ACTIVE}
    assert ClaimantStatusChange.objects.count() == 3
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="case.claimant_status").exists()


def test_a_bulk_change_with_a_claimant_who_already_has_the_status_changes_nobody(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (first, second, third) = _group_case(lev, "Наша группа", TWELVE[:3])
    today = timezone.localdate()
    cases.claimants_status_set(case=case, claimant_ids=[third.pk], recorded_by=lev, keyring=keyring_of(lev),
                               status="withdrawn", effective_on=today, reason="command")
    client = verified_client(lev)
    action = _url("case-roster-status", case.pk)
    refused = client.post(action, {
        "claimants": [str(first.pk), str(second.pk), str(third.pk)], "status": "withdrawn",
        "effective_on": today.isoformat(), "reason": "criminal_threat", "incident": "on", "note": "Угрозы",
    })
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "The claimant already has this status." in _text(page)
    assert sorted(_form(page, action)["claimants"]) == sorted(str(c.pk) for c in (first, second, third))
    assert [line.status for line in _roster(page)] == ["active", "active", "withdrawn"]
    assert dict(Claimant.objects.values_list("pk", "status")) == {
        first.pk: "active", second.pk: "active", third.pk: "withdrawn",
    }
    assert ClaimantStatusChange.objects.filter(reason="criminal_threat").count() == 0
    assert not CaseEvent.objects.exists()
    assert AuditEvent.objects.filter(action="case.claimant_status").count() == 1  # the first, valid one


# --- 6. the dashboard ---------------------------------------------------------------------------------------


def test_the_dashboard_shows_my_tasks_due_and_who_needs_a_call_until_someone_calls(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (silent, recent, gone) = _group_case(lev, "Группа", TWELVE[:3])
    cases.case_share(case=case, to_user=anna, shared_by=lev, keyring=keyring_of(lev))
    days = settings.DEFENSOR_FOLLOW_UP_DAYS
    assert days == 14
    Claimant.objects.filter(pk__in=[silent.pk, gone.pk]).update(
        added_at=timezone.now() - timedelta(days=days + 1),
        last_contact_on=timezone.localdate() - timedelta(days=days + 1),
    )
    Claimant.objects.filter(pk=recent.pk).update(
        added_at=timezone.now() - timedelta(days=days - 1),
        last_contact_on=timezone.localdate() - timedelta(days=days - 1),
    )
    cases.claimants_status_set(case=case, claimant_ids=[gone.pk], recorded_by=lev, keyring=keyring_of(lev),
                               status="withdrawn", effective_on=timezone.localdate(), reason="family")
    client = verified_client(lev)
    tomorrow = timezone.localdate() + timedelta(days=1)
    for title, assignee, due in [
        ("Позвонить в суд о дате заседания", lev, tomorrow),
        ("Подать апелляционную жалобу", lev, tomorrow + timedelta(days=10)),
        ("Задача Анны", anna, tomorrow),
    ]:
        added = client.post(_url("case-task", case.pk), {"title": title, "assignee": str(assignee.pk),
                                                         "due_on": due.isoformat()})
        assert added.status_code == 302

    home = client.get(_url("home")).content.decode()
    tasks = _text(_element(home, "my-tasks"))
    assert f"{case.number} : Позвонить в суд о дате заседания — due {_day(tomorrow)}" in tasks
    assert "Подать апелляционную жалобу" not in tasks  # not due this week
    assert "Задача Анны" not in tasks
    follow_ups = _element(home, "follow-ups")
    assert f"no one has spoken with for {days} days" in _text(follow_ups)
    assert _text(follow_ups).count(case.number) == 1
    assert TWELVE[0] in follow_ups
    assert TWELVE[1] not in follow_ups  # added 13 days ago
    assert TWELVE[2] not in follow_ups  # no longer in the claim

    claimant_page = _url("case-claimant", case.pk, silent.pk)
    called = client.post(_url("case-event", case.pk), {
        "kind": "contact", "happened_on": timezone.localdate().isoformat(), "claimant": str(silent.pk),
        "text": "Всё в порядке, ждёт суда", "back": claimant_page,
    })
    assert called.status_code == 302
    assert called["Location"] == claimant_page
    home = client.get(_url("home")).content.decode()
    assert TWELVE[0] not in _element(home, "follow-ups")
    assert _text(_element(home, "follow-ups")).endswith("Everyone has been contacted recently.")
    page = client.get(claimant_page).content.decode()
    assert f"Last contact {_day(timezone.localdate())}" in _text(page)

    # A task done leaves the dashboard.
    task = Task.objects.get(assignee=lev, due_on=tomorrow)
    assert client.post(_url("case-task-done", case.pk, task.pk)).status_code == 302
    assert "Позвонить в суд о дате заседания" not in _element(client.get(_url("home")).content.decode(), "my-tasks")


# --- 7. nothing readable in the database -------------------------------------------------------------------


def test_titles_notes_events_and_withdrawal_notes_are_not_stored_in_the_clear(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    title = "Гвардейцы против командира войсковой части 3641"
    case, (claimant,) = _group_case(lev, title, ["Гусев Андрей Ильич"])
    client = verified_client(lev)
    today = timezone.localdate().isoformat()
    texts = {
        "note": "Командир угрожал уголовным делом за отказ",
        "event": "Приказ об увольнении подписан задним числом",
        "withdrawal": "Отец приезжал в часть и уговаривал отозвать иск",
        "task": "Запросить видеозапись награждения",
    }
    assert client.post(_url("case-note", case.pk), {"text": texts["note"]}).status_code == 302
    assert client.post(_url("case-event", case.pk), {"kind": "dismissal_order", "happened_on": today,
                                                     "claimant": str(claimant.pk), "text": texts["event"]}
                       ).status_code == 302
    assert client.post(_url("case-claimant-status", case.pk, claimant.pk), {
        "status": "withdrawn", "effective_on": today, "reason": "family", "incident": "on",
        "note": texts["withdrawal"]}).status_code == 302
    assert client.post(_url("case-task", case.pk), {"title": texts["task"], "assignee": "", "due_on": ""}
                       ).status_code == 302

    # All of it was stored, and the team reads it back…
    keyring = keyring_of(lev)
    assert case.decrypt(keyring).title == title
    assert CaseNote.objects.get().decrypt(keyring).text == texts["note"]
    assert CaseEvent.objects.get(kind="dismissal_order").decrypt(keyring).text == texts["event"]
    assert ClaimantStatusChange.objects.get(status="withdrawn").decrypt(keyring).note == texts["withdrawal"]
    assert CaseEvent.objects.get(kind="pressure").decrypt(keyring).text == texts["withdrawal"]
    assert Task.objects.get().decrypt(keyring).title == texts["task"]
    # …but the database holds none of it in the clear (nor the audit log).
    stored = stored_bytes(Case, CaseNote, CaseEvent, ClaimantStatusChange, Task, Claimant, AuditEvent)
    assert len(stored) > 1000
    for text in [title, *texts.values(), "Гусев Андрей"]:
        # The whole text and each longer word of it (short ASCII runs occur in hashes by chance).
        for needle in [text, *(word for word in text.split() if len(word) >= 6)]:
            assert needle.encode() not in stored, needle


# --- 8. found in review: nobody loses a case, nobody is called by mistake ----------------------------------


def test_a_case_a_paralegal_opens_is_the_lawyers_too(
    anna: User, pavel: User, olga: User, boris: User, verified_client: ClientFor
) -> None:
    """Paralegals may not share cases: if only they held the key, no lawyer would ever see the case."""
    response = verified_client(pavel).post(_url("case-new"), {
        "title": "Обращение Гусева", "kind": "military_admin", "stage": "preparation", "outcome": "pending",
    })
    assert response.status_code == 302
    case = Case.objects.get()
    for user in (anna, olga):
        assert verified_client(user).get(_url("case", case.pk)).status_code == 200
    assert verified_client(boris).get(_url("case", case.pk)).status_code == 403  # a volunteer: no cases at all
    assert not KeyGrant.objects.filter(material=case.data_key, user=boris).exists()


def test_a_claimant_who_left_can_only_be_reinstated_and_changes_go_in_date_order(anna: User) -> None:
    case, (claimant,) = _group_case(anna, "Группа", ["Гусев Андрей Ильич"])
    keyring = keyring_of(anna)
    today = timezone.localdate()

    def change(status: str, on: date, reason: str = "") -> None:
        cases.claimants_status_set(case=case, claimant_ids=[claimant.pk], recorded_by=anna, keyring=keyring,
                                   status=status, effective_on=on, reason=reason)

    with pytest.raises(cases.StatusNotAllowed):
        change("reinstated", today)  # active people are not reinstated
    with pytest.raises(cases.StatusDateInFuture):
        change("paused", today + timedelta(days=1))
    change("withdrawn", today - timedelta(days=10), reason="criminal_threat")  # learnt of late: allowed
    with pytest.raises(cases.StatusNotAllowed):
        change("paused", today - timedelta(days=20))  # would bring someone who left under threat back
    with pytest.raises(cases.StatusDateBeforeCurrent):
        change("reinstated", today - timedelta(days=11))
    claimant.refresh_from_db()
    assert (claimant.status, claimant.status_on) == ("withdrawn", today - timedelta(days=10))
    change("reinstated", today)
    claimant.refresh_from_db()
    assert claimant.status == "reinstated"


def test_the_audit_says_what_was_kept(anna: User) -> None:
    """A reason or an incident sent with a change that is not a withdrawal is not kept, nor claimed."""
    case, (claimant,) = _group_case(anna, "Группа", ["Гусев Андрей Ильич"])
    cases.claimants_status_set(case=case, claimant_ids=[claimant.pk], recorded_by=anna, keyring=keyring_of(anna),
                               status="paused", effective_on=timezone.localdate(), reason="criminal_threat",
                               incident=True)
    event = AuditEvent.objects.get(action="case.claimant_status")
    assert (event.details["reason"], event.details["incident"]) == (None, False)
    assert not CaseEvent.objects.exists()


def test_the_names_on_a_roster_are_audited_person_reads(anna: User, verified_client: ClientFor) -> None:
    case, claimants = _group_case(anna, "Группа", ["Гусев Андрей Ильич", "Титов Иван Петрович"])
    assert verified_client(anna).get(_url("case-roster", case.pk)).status_code == 200
    read = AuditEvent.objects.get(action="person.read", details__where="roster")
    assert sorted(read.details["people"]) == sorted(c.person_id for c in claimants)


def test_nobody_locks_the_team_out_of_a_case(
    anna: User, olga: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, _ = _group_case(anna, "Группа", ["Гусев Андрей Ильич"])
    cases.case_share(case=case, to_user=lev, shared_by=anna, keyring=keyring_of(anna))
    refused = verified_client(lev).post(_url("case-access", case.pk), {"user": anna.pk, "action": "revoke"})
    assert refused.status_code == 302
    assert KeyGrant.objects.filter(material=case.data_key, user=anna).exists()  # the opener keeps it
    # An administrator may take it from the opener; the one revoking always keeps it.
    cases.case_share(case=case, to_user=olga, shared_by=anna, keyring=keyring_of(anna))
    cases.case_unshare(case=case, user=lev, unshared_by=olga)
    cases.case_unshare(case=case, user=anna, unshared_by=olga)
    assert not KeyGrant.objects.filter(material=case.data_key, user=anna).exists()
    cases.case_share(case=case, to_user=lev, shared_by=olga, keyring=keyring_of(olga))
    with pytest.raises(InvalidOperation):
        cases.case_unshare(case=case, user=olga, unshared_by=olga)  # not oneself
    cases.case_unshare(case=case, user=lev, unshared_by=olga)
    assert [u.username for u in record_holders(material=case.data_key)] == ["olga"]


def test_a_case_number_already_taken_is_refused_and_leaves_nothing_behind(
    anna: User, verified_client: ClientFor
) -> None:
    cases.case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-0042", title="Первое дело")
    keys_before = KeyGrant.objects.count()
    with pytest.raises(cases.DuplicateCaseNumber):
        cases.case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-0042", title="Второе дело")
    refused = verified_client(anna).post(_url("case-new"), {
        "title": "Второе дело", "number": "2026-0042", "kind": "other", "stage": "preparation", "outcome": "pending",
    })
    assert refused.status_code == 400
    assert str(cases.DuplicateCaseNumber.user_message) in _text(refused.content.decode())
    assert Case.objects.count() == 1
    assert KeyGrant.objects.count() == keys_before  # the new case's key went with it
    assert AuditEvent.objects.filter(action="case.opened").count() == 1


def test_the_case_page_reads_as_many_queries_however_large_the_team_and_the_claim(
    anna: User, make_user: MakeUser, verified_client: ClientFor
) -> None:
    """Each colleague, claimant and timeline line is read with the others, not one query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(case: Case) -> int:
        client = verified_client(anna)
        client.get(_url("case", case.pk))  # the session's first request does more
        with CaptureQueriesContext(connection) as captured:
            page = client.get(_url("case", case.pk))
        assert page.status_code == 200
        return len(captured)

    small, (claimant,) = _group_case(anna, "Один", TWELVE[:1])
    cases.case_event_add(case=small, recorded_by=anna, keyring=keyring_of(anna), kind="dismissal_order",
                         happened_on=timezone.localdate(), claimant=claimant)
    before = queries(small)
    for n in range(10):
        make_user(f"colleague{n}", Role.LAWYER if n % 2 else Role.PARALEGAL)
    large, claimants = _group_case(anna, "Двенадцать", TWELVE)
    for claimant in claimants:
        cases.case_event_add(case=large, recorded_by=anna, keyring=keyring_of(anna), kind="dismissal_order",
                             happened_on=timezone.localdate(), claimant=claimant)
    for colleague in User.objects.filter(username__in=["colleague1", "colleague2"]):
        for case in (small, large):
            cases.case_share(case=case, to_user=colleague, shared_by=anna, keyring=keyring_of(anna))
    assert {"one claimant, no colleagues": before, "twelve claimants, ten colleagues": queries(large)} == {
        "one claimant, no colleagues": before, "twelve claimants, ten colleagues": before,
    }


def _claim_of(lawyer: User, size: int) -> tuple[Case, list[Claimant]]:
    """A group claim of ``size`` claimants, each with a military unit on their record."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title=f"Группа {size}", group=True,
                           kind="military_admin")
    claimants = []
    for n in range(size):
        name = f"{TWELVE[n % 12]} {n}"
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               unit=f"в/ч {10000 + n}", notes="не звонить после 21:00")
        claimants.append(cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring))
    return case, claimants


def test_a_roster_reads_as_many_queries_for_thirty_claimants_as_for_three(
    anna: User, verified_client: ClientFor
) -> None:
    """Every name and unit shown, each row linking to its claimant's page; the keys of all
    claimants opened with one query, not one each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(anna)

    def read(case: Case) -> tuple[int, str]:
        client.get(_url("case-roster", case.pk))  # the session's first request does more
        with CaptureQueriesContext(connection) as captured:
            page = client.get(_url("case-roster", case.pk))
        assert page.status_code == 200
        return len(captured), page.content.decode()

    counts = {}
    for size in (3, 30):
        case, claimants = _claim_of(anna, size)
        counts[size], page = read(case)
        rows = _elements(page, "roster-row")
        assert [line.name for line in _roster(page)] == [f"{TWELVE[n % 12]} {n}" for n in range(size)]
        assert all(f"в/ч {10000 + n}" in row for n, row in enumerate(rows))
        links = [f'href="{_url("case-claimant", case.pk, c.pk)}"' for c in claimants]
        assert all(link in row for link, row in zip(links, rows, strict=True))
    assert counts[30] == counts[3]


def test_sharing_and_taking_back_a_claim_costs_as_many_queries_for_thirty_claimants_as_for_three(
    anna: User, make_user: MakeUser
) -> None:
    """The colleague reads every claimant's record after the share and none after it is taken
    back; the audit log names every key given or taken in one event, and says how many people's
    records went with the case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lev = make_user("lev", Role.LAWYER)
    counts: dict[tuple[str, int], int] = {}
    for size in (3, 30):
        case, claimants = _claim_of(anna, size)
        people = [c.person for c in claimants]
        with CaptureQueriesContext(connection) as shared:
            cases.case_share(case=case, to_user=lev, shared_by=anna, keyring=keyring_of(anna))
        counts["share", size] = len(shared)
        ring = keyring_of(lev)
        assert [p.decrypt(ring).full_name for p in people] == [f"{TWELVE[n % 12]} {n}" for n in range(size)]
        given = AuditEvent.objects.filter(action="keys.access_granted", target_id=str(lev.pk)).latest("seq")
        assert sorted(given.details["keys"]) == sorted(str(k) for k in [case.data_key_id,
                                                                         *(p.data_key_id for p in people)])
        assert AuditEvent.objects.filter(action="case.shared").latest("seq").details == {
            "user": lev.pk, "people": size}

        with CaptureQueriesContext(connection) as taken:
            cases.case_unshare(case=case, user=lev, unshared_by=anna)
        counts["unshare", size] = len(taken)
        assert not KeyGrant.objects.filter(user=lev, material__in=[case.data_key_id,
                                                                   *(p.data_key_id for p in people)]).exists()
        revoked = AuditEvent.objects.filter(action="keys.access_revoked", target_id=str(lev.pk)).latest("seq")
        assert len(revoked.details["keys"]) == size + 1
        assert AuditEvent.objects.filter(action="case.unshared").latest("seq").details == {
            "user": lev.pk, "people": size}
    assert (counts["share", 30], counts["unshare", 30]) == (counts["share", 3], counts["unshare", 3])


def test_sharing_a_claim_keeps_the_records_the_colleague_reaches_through_another_case(
    anna: User, make_user: MakeUser
) -> None:
    """Taking one claim back leaves a claimant who is also in another shared case readable, and
    sharing again gives only the keys not yet held."""
    lev = make_user("lev", Role.LAWYER)
    keyring = keyring_of(anna)
    first, (kept, gone) = _claim_of(anna, 2)
    other = cases.case_open(opened_by=anna, keyring=keyring, title="Другое дело", group=True)
    cases.claimant_add(case=other, person=kept.person, added_by=anna, keyring=keyring)
    cases.case_share(case=other, to_user=lev, shared_by=anna, keyring=keyring)
    cases.case_share(case=first, to_user=lev, shared_by=anna, keyring=keyring)
    given = AuditEvent.objects.filter(action="keys.access_granted", target_id=str(lev.pk)).latest("seq")
    assert sorted(given.details["keys"]) == sorted([str(first.data_key_id), str(gone.person.data_key_id)])
    assert AuditEvent.objects.filter(action="case.shared").latest("seq").details == {"user": lev.pk, "people": 1}
    cases.case_unshare(case=first, user=lev, unshared_by=anna)
    assert kept.person.decrypt(keyring_of(lev)).full_name == f"{TWELVE[0]} 0"
    assert not KeyGrant.objects.filter(user=lev, material=gone.person.data_key).exists()
