"""How documents write names: a person's name in each grammatical case, computed and corrected
by the lawyer where the library is wrong (sealed, audited without the text), and how the
documents a team member makes name them as representative."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.test import Client

from defensor.access.services import record_access_grant
from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.core.grammar import name_forms
from defensor.people.models import Person
from defensor.people.services import person_create
from tests.canary import stored_bytes
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db
MakeUser = Callable[..., User]
ClientFor = Callable[[User], Client]

CASES = ("genitive", "dative", "accusative", "instrumental", "prepositional")
# The dative as the lawyer writes it, with the «ё» of the passport (the record has «е»).
OWN_DATIVE = "Семёнову Петру Алексеевичу"


# --- reading pages as a user does ------------------------------------------------------------------


def _text(fragment: str) -> str:
    """What a reader sees of a piece of HTML: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _element(page: str, testid: str) -> str:
    pattern = rf'<(\w+)\b[^>]*\bdata-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>'
    found: list[str] = [inner for _, inner in re.findall(pattern, page, re.S)]
    assert len(found) == 1, f"{len(found)} elements with data-testid={testid}"
    return found[0]


class _Inputs(HTMLParser):
    """The value of each named input and textarea of a page, as a browser would send it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name:
            self.values[name] = attr.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # Django writes a newline after <textarea>, which browsers drop.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None


def _inputs(page: str) -> dict[str, str]:
    reader = _Inputs()
    reader.feed(page)
    return reader.values


def _printed(page: str, case: str) -> tuple[str, bool]:
    """The form of the name a document prints in ``case``, and whether it is the lawyer's own text."""
    row = _element(page, f"name-form-{case}")
    return _text(_element(row, "printed")), 'data-testid="own"' in row


def _person(owner: User, full_name: str) -> Person:
    return person_create(created_by=owner, keyring=keyring_of(owner), full_name=full_name)


def _name_forms_post(**typed: str) -> dict[str, str]:
    """The form as the page sends it: every field, empty unless typed."""
    return {case: typed.get(case, "") for case in CASES}


@pytest.fixture
def lev(make_user: MakeUser) -> User:
    """A lawyer who works in English (the messages asserted here are the English originals)."""
    return make_user("lev", Role.LAWYER, language="en")


# --- a person's name in each case -------------------------------------------------------------------


def test_the_person_page_shows_the_name_as_documents_will_write_it(lev: User, verified_client: ClientFor) -> None:
    client = verified_client(lev)
    indeclinable = _person(lev, "Черных Олег Сергеевич")
    page = client.get(f"/staff/people/{indeclinable.pk}/").content.decode()
    assert _printed(page, "genitive") == ("Черных Олега Сергеевича", False)  # Черных itself never changes
    assert _printed(page, "instrumental") == ("Черных Олегом Сергеевичем", False)

    declinable = _person(lev, "Гусев Андрей Ильич")
    page = client.get(f"/staff/people/{declinable.pk}/").content.decode()
    assert [_printed(page, case) for case in CASES] == [
        ("Гусева Андрея Ильича", False), ("Гусеву Андрею Ильичу", False), ("Гусева Андрея Ильича", False),
        ("Гусевым Андреем Ильичом", False), ("Гусеве Андрее Ильиче", False),
    ]
    # Nothing corrected yet: the fields are empty, the computed form shown as the placeholder.
    assert all(_inputs(page)[case] == "" for case in CASES)
    assert 'placeholder="Гусеву Андрею Ильичу"' in page


def test_a_corrected_dative_is_sealed_shown_as_your_text_used_in_documents_and_cleared_again(
    lev: User, verified_client: ClientFor
) -> None:
    client = verified_client(lev)
    person = _person(lev, "Семенов Пётр Алексеевич")
    action = f"/staff/people/{person.pk}/name-forms/"

    saved = client.post(action, _name_forms_post(dative=f"  {OWN_DATIVE} "), follow=True)
    page = saved.content.decode()
    assert "Saved. Documents made from now on write the name this way." in _text(page)
    assert _printed(page, "dative") == (OWN_DATIVE, True)
    assert _printed(page, "genitive") == ("Семенова Петра Алексеевича", False)
    assert "your text" in _text(_element(page, "name-form-dative"))
    assert _inputs(page)["dative"] == OWN_DATIVE

    # Sealed under the person's key: readable with the key ring, nowhere in the database in the clear.
    decrypted = Person.objects.get(pk=person.pk).decrypt(keyring_of(lev))
    assert json.loads(decrypted.name_forms or "") == {"dative": OWN_DATIVE}
    stored = stored_bytes(Person, AuditEvent)
    for needle in (OWN_DATIVE, "Семёнову"):
        assert needle.encode() not in stored, needle
    # The documents' context uses the lawyer's text for that case only.
    forms = name_forms(decrypted.full_name or "", json.loads(decrypted.name_forms or ""))
    assert (forms["dative"], forms["initials_dative"]) == (OWN_DATIVE, "Семёнову П. А.")
    assert forms["genitive"] == "Семенова Петра Алексеевича"
    # Audited: which forms, never the text.
    event = AuditEvent.objects.get(action="person.name_forms_set")
    assert event.details == {"person": person.pk, "forms": ["dative"]}
    assert (event.actor_id, event.target_id) == (lev.pk, str(person.pk))

    # Typing what the library computes anyway keeps nothing and changes nothing.
    unchanged = client.post(action, _name_forms_post(dative=OWN_DATIVE, genitive="Семенова Петра Алексеевича"),
                            follow=True)
    assert "Nothing to change: documents already write the name this way." in _text(unchanged.content.decode())
    assert AuditEvent.objects.filter(action="person.name_forms_set").count() == 1

    # An empty field: computed again.
    cleared = client.post(action, _name_forms_post(), follow=True).content.decode()
    assert _printed(cleared, "dative") == ("Семенову Петру Алексеевичу", False)
    assert _inputs(cleared)["dative"] == ""
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(lev)).name_forms is None
    assert [e.details["forms"] for e in AuditEvent.objects.filter(action="person.name_forms_set").order_by("seq")
            ] == [["dative"], ["dative"]]


def test_a_form_too_long_is_refused_keeping_what_was_typed(lev: User, verified_client: ClientFor) -> None:
    client = verified_client(lev)
    person = _person(lev, "Семенов Пётр Алексеевич")
    action = f"/staff/people/{person.pk}/name-forms/"
    refused = client.post(action, _name_forms_post(dative=OWN_DATIVE, genitive="Семенова " * 30))

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "A form of the name can be at most 200 characters long (this one has 269)." in _text(page)
    kept = _inputs(page)
    assert (kept["dative"], kept["genitive"]) == (OWN_DATIVE, "Семенова " * 30)
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(lev)).name_forms is None
    assert not AuditEvent.objects.filter(action="person.name_forms_set").exists()


@pytest.mark.parametrize("full_name", ["", "—"], ids=["empty", "a dash"])
def test_a_record_without_a_name_has_nothing_to_decline(
    full_name: str, lev: User, verified_client: ClientFor
) -> None:
    client = verified_client(lev)
    person = _person(lev, full_name)
    page = client.get(f"/staff/people/{person.pk}/").content.decode()
    assert "No full name is recorded, so there is nothing to decline." in _text(page)

    refused = client.post(f"/staff/people/{person.pk}/name-forms/", _name_forms_post(dative=OWN_DATIVE))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "This record has no full name, so there is nothing to decline. Record the name first." in _text(page)
    assert _inputs(page)["dative"] == OWN_DATIVE
    assert not AuditEvent.objects.filter(action="person.name_forms_set").exists()


def test_a_request_without_the_form_does_not_clear_the_corrections(lev: User, verified_client: ClientFor) -> None:
    client = verified_client(lev)
    person = _person(lev, "Семенов Пётр Алексеевич")
    action = f"/staff/people/{person.pk}/name-forms/"
    assert client.post(action, _name_forms_post(dative=OWN_DATIVE)).status_code == 302

    refused = client.post(action)
    assert refused.status_code == 400
    assert "The form was not sent. Nothing was changed." in _text(refused.content.decode())
    decrypted = Person.objects.get(pk=person.pk).decrypt(keyring_of(lev))
    assert json.loads(decrypted.name_forms or "") == {"dative": OWN_DATIVE}


def test_a_paralegal_on_the_record_may_correct_a_volunteer_and_a_partner_may_not(
    anna: User, pavel: User, boris: User, petra: User, verified_client: ClientFor
) -> None:
    person = _person(anna, "Семенов Пётр Алексеевич")
    record_access_grant(material=person.data_key, to_user=pavel, keyring=keyring_of(anna))
    action = f"/staff/people/{person.pk}/name-forms/"
    for outsider in (boris, petra):
        assert verified_client(outsider).post(action, _name_forms_post(dative=OWN_DATIVE)).status_code == 403
        assert verified_client(outsider).get(f"/staff/people/{person.pk}/").status_code == 403
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(anna)).name_forms is None

    assert verified_client(pavel).post(action, _name_forms_post(dative=OWN_DATIVE)).status_code == 302
    decrypted = Person.objects.get(pk=person.pk).decrypt(keyring_of(anna))
    assert json.loads(decrypted.name_forms or "") == {"dative": OWN_DATIVE}
    assert AuditEvent.objects.get(action="person.name_forms_set").actor_id == pavel.pk


# --- how documents name the representative --------------------------------------------------------


def test_a_lawyer_sets_how_documents_name_her_and_sees_the_genitive(lev: User, verified_client: ClientFor) -> None:
    client = verified_client(lev)
    page = client.get("/staff/account/").content.decode()
    assert "How documents name you" in _text(_element(page, "document-profile"))
    assert 'data-testid="document-name-preview"' not in page  # no name yet

    profile = {
        "name": " Смирнова  Анна Викторовна ",
        "credentials": "адвокат Адвокатской палаты Курской области, рег. № 46/123",
        "contacts": "305000, г. Курск, ул. Ленина, д. 1\r\n+7 (4712) 00-00-00\r\nsmirnova@example.org",
    }
    saved = client.post("/staff/account/documents/", profile, follow=True).content.decode()
    assert "Saved. Documents you make from now on name you this way." in _text(saved)
    assert _text(_element(saved, "document-name-preview")) == "от Смирновой Анны Викторовны"
    kept = _inputs(saved)
    assert (kept["name"], kept["credentials"]) == ("Смирнова Анна Викторовна", profile["credentials"])
    lev.refresh_from_db()
    assert lev.document_name == "Смирнова Анна Викторовна"
    assert lev.document_credentials == profile["credentials"]
    assert lev.document_contacts == "305000, г. Курск, ул. Ленина, д. 1\n+7 (4712) 00-00-00\nsmirnova@example.org"
    # The documents name her so.
    assert name_forms(lev.document_name, {})["genitive"] == "Смирновой Анны Викторовны"

    event = AuditEvent.objects.get(action="account.document_profile_set")
    assert event.details == {"fields": ["name", "credentials", "contacts"]}
    assert (event.actor_id, event.target_id) == (lev.pk, str(lev.pk))
    assert "Смирнова".encode() not in stored_bytes(AuditEvent)

    # Saving again what is already there changes nothing (and records nothing).
    again = client.post("/staff/account/documents/", {**profile, "contacts": lev.document_contacts}, follow=True)
    assert "Nothing to change: documents already name you this way." in _text(again.content.decode())
    client.post("/staff/account/documents/", {**profile, "credentials": "адвокат, рег. № 46/124"})
    assert [e.details["fields"] for e in AuditEvent.objects.filter(action="account.document_profile_set")
            .order_by("seq")] == [["name", "credentials", "contacts"], ["credentials"]]


def test_a_name_too_long_for_documents_is_refused_keeping_what_was_typed(
    lev: User, verified_client: ClientFor
) -> None:
    refused = verified_client(lev).post("/staff/account/documents/", {
        "name": "Смирнова " * 25, "credentials": "адвокат", "contacts": "г. Курск"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Ensure this value has at most 200 characters" in _text(page)
    kept = _inputs(page)
    assert (kept["credentials"], kept["contacts"]) == ("адвокат", "г. Курск")
    lev.refresh_from_db()
    assert (lev.document_name, lev.document_credentials) == ("", "")
    assert not AuditEvent.objects.filter(action="account.document_profile_set").exists()


def test_a_dash_for_a_name_is_no_name(lev: User, verified_client: ClientFor) -> None:
    client = verified_client(lev)
    saved = client.post("/staff/account/documents/", {"name": " — ", "credentials": "адвокат", "contacts": ""},
                        follow=True)
    assert saved.status_code == 200
    assert 'data-testid="document-name-preview"' not in saved.content.decode()
    lev.refresh_from_db()
    assert (lev.document_name, lev.document_credentials) == ("", "адвокат")


def test_a_volunteer_and_a_partner_do_not_set_how_documents_name_them(
    boris: User, petra: User, verified_client: ClientFor
) -> None:
    for user in (boris, petra):
        client = verified_client(user)
        assert 'data-testid="document-profile"' not in client.get("/staff/account/").content.decode()
        refused = client.post("/staff/account/documents/", {"name": "Смирнова Анна Викторовна", "credentials": "",
                                                            "contacts": ""})
        assert refused.status_code == 403
        user.refresh_from_db()
        assert user.document_name == ""
    assert not AuditEvent.objects.filter(action="account.document_profile_set").exists()
