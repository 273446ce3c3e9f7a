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
    "keys.organisation_keys_created": _("Organisation keys and recovery kit made"),
    "keys.user_keypair_created": _("Personal key pair made"),
    "keys.user_keypair_renewed": _("Personal key pair renewed with the new password"),
    "keys.user_keypair_replaced": _("Personal key pair replaced after a password reset"),
    "keys.distributed": _("Keys passed on to colleagues waiting for them"),
    "keys.access_granted": _("Access to a record granted"),
    "keys.access_revoked": _("Access to a record revoked"),
    "keys.record_erased": _("Record keys destroyed (erased)"),
    "keys.record_key_rotated": _("Record key rotated"),
    "keys.intake_key_rotated": _("Intake key rotated"),
    "keys.index_key_rotated": _("Search index key rotated"),
    "keys.recovered": _("Access restored with the recovery kit"),
    "keys.recovery_kit_deleted": _("Recovery kit file deleted from the server"),
    "person.created": _("Person record created"),
    "person.updated": _("Person record changed"),
    "person.erased": _("Person record erased"),
    "case.opened": _("Case opened"),
    "case.note_added": _("Note added to a case"),
    "case.edited": _("Case details changed"),
    "case.event_added": _("Event recorded in a case"),
    "case.task_added": _("Task added to a case"),
    "case.task_done": _("Task of a case done"),
    "case.claimant_status": _("Claimants' status changed"),
    "case.shared": _("Case shared with a colleague"),
    "case.unshared": _("Colleague's access to a case removed"),
    "case.erased": _("Case erased"),
    "submission.received": _("Request received at intake"),
    "submission.message_received": _("Message received from the person who wrote"),
    "submission.replied": _("Reply sent to the person who wrote"),
    "submission.withdrawn": _("Request withdrawn and erased by the person who wrote"),
    "person.handle_added": _("Contact added to a person record"),
    "person.handle_safety_changed": _("Safe-contact note of a person record changed"),
    "person.merged": _("Person record merged into another (duplicate)"),
    "person.unmerged": _("Merge of a person record undone"),
    "person.read": _("Person records read"),
    "submission.read": _("Request read"),
    "submission.status_changed": _("Status of a request changed"),
    "submission.assigned": _("Request assigned"),
    "submission.accepted": _("Request accepted into a person record and a case"),
    "intake.urgency_raised": _("Urgency of requests raised as time limits came closer"),
    "case.claimant_added": _("Claimant added to a case"),
    "calendar.day_set": _("Working-day calendar: a day changed"),
    "calendar.year_published": _("Working-day calendar: a year confirmed as published"),
    "case.read": _("Case read"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
