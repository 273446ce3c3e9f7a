"""Human-readable names of audit action codes. Every code written by log_action must be here
(tests/test_audit.py checks the codes used in the source)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "organisation.initialised": _("Organisation set up"),
    "user.created": _("Account created"),
    "user.disabled": _("Account disabled"),
    "user.enabled": _("Account enabled"),
    "user.role_changed": _("Role changed"),
    "user.password_reset": _("One-time password issued"),
    "user.password_changed": _("Password changed"),
    "user.2fa_reset": _("Two-factor authentication reset"),
    "user.2fa_enrolment_started": _("Two-factor set-up started"),
    "user.2fa_enrolled": _("Two-factor authentication set up"),
    "user.2fa_failed": _("Wrong second-factor code"),
    "user.recovery_code_used": _("Recovery code used"),
    "user.recovery_codes_regenerated": _("New recovery codes made"),
    "user.password_accepted": _("Password accepted, second factor pending"),
    "user.logged_in": _("Logged in"),
    "user.logged_out": _("Logged out"),
    "user.logged_out_everywhere": _("Logged out on every device"),
    "user.login_failed": _("Failed login"),
    "user.locked_out": _("Account locked after failed logins"),
    "user.language_changed": _("Language changed"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
