from django.urls import path

from defensor.accounts import views as accounts
from defensor.audit import views as audit
from defensor.cases import hold_views, merge_views
from defensor.cases import views as cases
from defensor.deadlines import calendar_views
from defensor.deadlines import staff_views as deadlines
from defensor.documents import views as documents
from defensor.evidence import bundle_views as evidence_bundle
from defensor.evidence import custody_views as evidence_custody
from defensor.evidence import meta_views as evidence_meta
from defensor.evidence import review_views as evidence_review
from defensor.evidence import source_views as evidence_source
from defensor.evidence import views as evidence
from defensor.intake import accept_views as accept
from defensor.intake import triage_views as triage
from defensor.people import views as people
from defensor.reports import views as reports
from defensor.retention import views as retention
from defensor.staff import views as staff

app_name = "staff"

urlpatterns = [
    path("", staff.home_view, name="home"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("2fa/setup/", accounts.two_factor_setup, name="2fa-setup"),
    path("2fa/verify/", accounts.two_factor_verify, name="2fa-verify"),
    path("account/", accounts.account_view, name="account"),
    path("account/password/", accounts.password_view, name="password"),
    path("account/recovery-codes/", accounts.recovery_codes_view, name="recovery-codes"),
    path("account/logout-everywhere/", accounts.logout_everywhere_view, name="logout-everywhere"),
    path("users/", accounts.users_view, name="users"),
    path("users/<int:user_id>/", accounts.user_detail_view, name="user"),
    path("audit/", audit.audit_log_view, name="audit"),
    path("inbox/", triage.inbox_view, name="inbox"),
    path("hotline/", triage.hotline_view, name="hotline"),
    path("people/<int:person_id>/", people.person_view, name="person"),
    path("people/<int:person_id>/merge/", merge_views.person_merge_view, name="person-merge"),
    path("people/<int:person_id>/unmerge/", merge_views.person_unmerge_view, name="person-unmerge"),
    path("people/handles/<int:handle_id>/safety/", people.handle_safety_view, name="handle-safety"),
    path("people/<int:person_id>/edit/", people.person_edit_view, name="person-edit"),
    path("people/<int:person_id>/handles/add/", people.person_handle_add_view, name="person-handle-add"),
    path("people/handles/<int:handle_id>/remove/", people.handle_remove_view, name="handle-remove"),
    path("inbox/bulk/", triage.inbox_bulk_view, name="inbox-bulk"),
    path("inbox/accept/", accept.bulk_accept_view, name="inbox-accept"),
    path("inbox/<uuid:submission_id>/", triage.submission_view, name="submission"),
    path("inbox/<uuid:submission_id>/status/", triage.submission_status_view, name="submission-status"),
    path("inbox/<uuid:submission_id>/assign/", triage.submission_assign_view, name="submission-assign"),
    path("inbox/<uuid:submission_id>/reply/", triage.submission_reply_view, name="submission-reply"),
    path("inbox/<uuid:submission_id>/accept/", triage.submission_accept_view, name="submission-accept"),
    path("inbox/<uuid:submission_id>/files/<uuid:attachment_id>/", triage.submission_file_view,
         name="submission-file"),
    path("recovery-kit/delete/", staff.recovery_kit_delete_view, name="recovery-kit-delete"),
    path("cases/", cases.case_list_view, name="cases"),
    path("cases/new/", cases.case_new_view, name="case-new"),
    path("cases/<int:case_id>/", cases.case_view, name="case"),
    path("cases/<int:case_id>/edit/", cases.case_edit_view, name="case-edit"),
    path("cases/<int:case_id>/events/", cases.case_event_view, name="case-event"),
    path("cases/<int:case_id>/events/<int:event_id>/date/", cases.case_event_date_view, name="case-event-date"),
    path("cases/<int:case_id>/notes/", cases.case_note_view, name="case-note"),
    path("cases/<int:case_id>/tasks/", cases.case_task_view, name="case-task"),
    path("cases/<int:case_id>/tasks/<int:task_id>/done/", cases.case_task_done_view, name="case-task-done"),
    path("cases/<int:case_id>/access/", cases.case_access_view, name="case-access"),
    path("cases/<int:case_id>/hold/", hold_views.case_hold_view, name="case-hold"),
    path("cases/<int:case_id>/evidence/upload/", evidence.evidence_upload_view, name="evidence-upload"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/download/", evidence.evidence_download_view,
         name="evidence-download"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/", evidence_meta.evidence_item_view, name="evidence-item"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/working-copy/", evidence_meta.evidence_working_copy_view,
         name="evidence-working-copy"),
    path("cases/<int:case_id>/evidence/bundle/", evidence_bundle.evidence_bundle_view, name="evidence-bundle"),
    path("cases/<int:case_id>/evidence/bundle/<uuid:bundle_id>/download/",
         evidence_bundle.evidence_bundle_download_view, name="evidence-bundle-download"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/status/", evidence_review.evidence_status_view,
         name="evidence-status"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/labels/", evidence_review.evidence_labels_view,
         name="evidence-labels"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/links/", evidence_review.evidence_links_view,
         name="evidence-links"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/custody/", evidence_custody.evidence_custody_view,
         name="evidence-custody"),
    path("cases/<int:case_id>/evidence/<uuid:item_id>/custody/handover/", evidence_custody.evidence_handover_view,
         name="evidence-handover"),
    path("cases/<int:case_id>/evidence/public/", evidence_source.evidence_public_source_view,
         name="evidence-public-source"),
    path("cases/<int:case_id>/roster/", cases.case_roster_view, name="case-roster"),
    path("cases/<int:case_id>/roster/status/", cases.case_roster_status_view, name="case-roster-status"),
    path("cases/<int:case_id>/roster/events/", cases.case_roster_events_view, name="case-roster-events"),
    path("cases/<int:case_id>/claimants/<int:claimant_id>/", cases.claimant_view, name="case-claimant"),
    path("cases/<int:case_id>/claimants/<int:claimant_id>/status/", cases.claimant_status_view,
         name="case-claimant-status"),
    path("cases/<int:case_id>/deadlines/<int:deadline_id>/met/", deadlines.deadline_met_view, name="deadline-met"),
    path("cases/<int:case_id>/deadlines/<int:deadline_id>/reopen/", deadlines.deadline_reopen_view,
         name="deadline-reopen"),
    path("account/feed/", deadlines.feed_view, name="feed"),
    path("cases/<int:case_id>/documents/new/", documents.document_new_view, name="document-new"),
    path("cases/<int:case_id>/documents/<int:document_id>/", documents.document_view, name="document"),
    path("cases/<int:case_id>/documents/<int:document_id>/docx/", documents.document_docx_view,
         name="document-docx"),
    path("cases/<int:case_id>/documents/<int:document_id>/pdf/", documents.document_pdf_view, name="document-pdf"),
    path("templates/", documents.templates_view, name="templates"),
    path("templates/<int:template_id>/retire/", documents.template_retire_view, name="template-retire"),
    path("reminders/<int:reminder_id>/seen/", deadlines.reminder_seen_view, name="reminder-seen"),
    path("calendar/", calendar_views.calendar_view, name="calendar"),
    path("calendar/remove/", calendar_views.calendar_remove_view, name="calendar-remove"),
    path("calendar/years/", calendar_views.calendar_year_view, name="calendar-year"),
    path("people/<int:person_id>/name-forms/", people.person_name_forms_view, name="person-name-forms"),
    path("account/documents/", documents.account_documents_view, name="account-documents"),
    path("account/powers-of-attorney/", documents.account_poa_add_view, name="account-poa-add"),
    path("account/powers-of-attorney/revoke/", documents.account_poa_revoke_view, name="account-poa-revoke"),
    path("retention/", retention.retention_view, name="retention"),
    path("reports/", reports.report_view, name="reports"),
    path("reports/releases/", reports.release_make_view, name="release-make"),
    path("reports/releases/<int:release_number>/", reports.release_view, name="release"),
    path("reports/releases/<int:release_number>/csv/", reports.release_export_view, {"file_format": "csv"},
         name="release-csv"),
    path("reports/releases/<int:release_number>/xlsx/", reports.release_export_view, {"file_format": "xlsx"},
         name="release-xlsx"),
    path("reports/releases/<int:release_number>/public/", reports.release_public_view, name="release-public"),
]
