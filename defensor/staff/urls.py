from django.urls import path

from defensor.accounts import views as accounts
from defensor.audit import views as audit
from defensor.intake import triage_views as triage
from defensor.people import views as people
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
    path("people/<int:person_id>/merge/", people.person_merge_view, name="person-merge"),
    path("people/<int:person_id>/unmerge/", people.person_unmerge_view, name="person-unmerge"),
    path("people/handles/<int:handle_id>/safety/", people.handle_safety_view, name="handle-safety"),
    path("inbox/bulk/", triage.inbox_bulk_view, name="inbox-bulk"),
    path("inbox/<uuid:submission_id>/", triage.submission_view, name="submission"),
    path("inbox/<uuid:submission_id>/status/", triage.submission_status_view, name="submission-status"),
    path("inbox/<uuid:submission_id>/assign/", triage.submission_assign_view, name="submission-assign"),
    path("inbox/<uuid:submission_id>/reply/", triage.submission_reply_view, name="submission-reply"),
    path("inbox/<uuid:submission_id>/accept/", triage.submission_accept_view, name="submission-accept"),
    path("recovery-kit/delete/", staff.recovery_kit_delete_view, name="recovery-kit-delete"),
]
