"""The documents card of the account page (registered in DocumentsConfig.ready): how the
documents the user makes name them as representative."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import HttpRequest

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.accounts.sections import AccountSection
from defensor.core.grammar import GrammaticalCase, name_forms, normalise
from defensor.documents.forms import DocumentProfileForm


def profile_card(request: HttpRequest, user: User, refused: forms.Form | None) -> Mapping[str, Any] | None:
    if not has_permission(user, Perm.DOCUMENTS_GENERATE):
        return None
    return {
        "form": refused or DocumentProfileForm(initial={
            "name": user.document_name, "credentials": user.document_credentials, "contacts": user.document_contacts,
        }),
        # As the heading of a document writes it: «от Смирновой Анны Викторовны».
        "name_genitive": (
            name_forms(user.document_name, {})[GrammaticalCase.GENITIVE] if normalise(user.document_name) else ""
        ),
    }


PROFILE_SECTION = AccountSection(key="documents", template="documents/account_profile.html", context=profile_card,
                                 order=20)
