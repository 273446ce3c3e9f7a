"""The documents card of the account page (registered in DocumentsConfig.ready): how the
documents the user makes name them as representative, and the powers of attorney they hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.accounts.sections import AccountSection
from defensor.core.grammar import GrammaticalCase, name_forms, normalise
from defensor.documents.authority import powers_of_attorney_list, same_person
from defensor.documents.forms import DocumentProfileForm
from defensor.documents.models import Power, PowerOfAttorney
from defensor.keys.keyring import KeyRing, keyring_for
from defensor.people.selectors import people_for
from defensor.people.services import people_read


class PowerOfAttorneyForm(forms.Form):
    """A power of attorney the user holds: its particulars, special powers and scope (whom it is
    for, when not general, is chosen from the page's list of persons: documents/poa_people.py)."""

    number = forms.CharField(label=_("Number"), max_length=100,
                             help_text=_("As printed on it, e.g. «46 АА 1234567»."))
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))
    issuer = forms.CharField(label=_("Issued by"), max_length=300,
                             help_text=_("The client's full name, or the organisation's name."))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("Leave empty if it names no end date."))
    powers = forms.MultipleChoiceField(label=_("Special powers it gives"), choices=Power.choices,
                                       widget=forms.CheckboxSelectMultiple)
    general = forms.BooleanField(label=_("General: for any client"), required=False)


def people_choices(user: User, keyring: KeyRing | None, only: set[int] | None = None) -> list[tuple[int, str]]:
    """The persons the user can read (``only``: of these), by name (a power of attorney for named
    persons names them); the read audited."""
    if keyring is None or only == set():
        return []
    readable = people_for(actor=user)
    people = list((readable if only is None else readable.filter(pk__in=only)).order_by("id"))
    keyring.prefetch(p.data_key_id for p in people)
    choices = [(p.pk, p.decrypt(keyring, only=["full_name"]).full_name or f"#{p.pk}") for p in people]
    with transaction.atomic():
        people_read(reader=user, people=[p.pk for p in people], where="account")
    return sorted(choices, key=lambda c: c[1])


def profile_card(request: HttpRequest, user: User, refused: forms.Form | None) -> Mapping[str, Any] | None:
    if not has_permission(user, Perm.DOCUMENTS_GENERATE):
        return None
    keyring = keyring_for(request)
    # Only the people the recorded powers of attorney name are read (the form that adds one, with
    # everyone the user may name, is a page of its own).
    named = {pid for people in PowerOfAttorney.objects.filter(representative=user).values_list("people", flat=True)
             for pid in people}
    # A record merged since into another is shown by the kept record's name: the same human being,
    # whom the power of attorney still covers (authority.covering).
    roots = same_person(named)
    by_root = dict(people_choices(user, keyring, only=set(roots.values())))
    names = {pid: by_root[root] for pid, root in roots.items() if root in by_root}
    return {
        "form": refused if isinstance(refused, DocumentProfileForm) else DocumentProfileForm(initial={
            "name": user.document_name, "credentials": user.document_credentials, "contacts": user.document_contacts,
        }),
        # As the heading of a document writes it: «от Смирновой Анны Викторовны».
        "name_genitive": (
            name_forms(user.document_name, {})[GrammaticalCase.GENITIVE] if normalise(user.document_name) else ""
        ),
        "powers_of_attorney": powers_of_attorney_list(user=user, keyring=keyring, names=names),
        "keys_locked": keyring is None,
    }


PROFILE_SECTION = AccountSection(key="documents", template="documents/account_profile.html", context=profile_card,
                                 order=20)
