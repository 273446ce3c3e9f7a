"""Login, two-factor authentication, one's own account, and user management."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from defensor.access import services as keys
from defensor.accounts import lockout, services
from defensor.accounts.forms import (
    EnrolmentForm,
    LanguageForm,
    LockedLoginForm,
    LoginForm,
    PasswordChangeForm,
    RoleForm,
    TokenForm,
    UserCreateForm,
)
from defensor.accounts.middleware import session_started
from defensor.accounts.models import Role, User
from defensor.accounts.permissions import (
    ROLE_PERMISSIONS,
    Perm,
    acting_user,
    has_permission,
    is_two_factor_verified,
    permissions_for,
    staff_view,
)
from defensor.accounts.sections import account_sections
from defensor.accounts.selectors import cases_held_count, user_for, users_for
from defensor.core.views import error_page
from defensor.keys.crypto import KeyDerivationBusy
from defensor.keys.keyring import keyring_for, keyring_store
from defensor.keys.models import KeyKind


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def _after_verification(request: HttpRequest, user: User) -> HttpResponse:
    if user.must_change_password:
        return redirect("staff:password")
    return redirect(_safe_next(request) or "staff:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if is_two_factor_verified(request.user):
        return redirect("staff:home")
    if request.method == "POST" and lockout.is_locked(request, request.POST.get("username", "")):
        return _login_while_locked(request)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        try:
            # Keys first: a login whose keys cannot be opened must not half-happen.
            private_key = keys.user_keys_unlock_at_login(user=user, password=form.cleaned_data["password"])
        except KeyDerivationBusy as error:
            form.add_error(None, str(error.user_message))
            return render(request, "accounts/login.html", {"form": form}, status=503)
        auth_login(request, user)
        session_started(request)
        keyring_store(request, user.pk, private_key)
        request.session.save()
        services.password_accepted(user=user, session_key=request.session.session_key or "")
        target = "staff:2fa-verify" if services.has_confirmed_totp(user) else "staff:2fa-setup"
        response = redirect(target)
        if next_url := _safe_next(request):
            response["Location"] += "?" + urlencode({"next": next_url})
        return response
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request) or ""})


def _login_while_locked(request: HttpRequest) -> HttpResponse:
    """A locked account still lets in whoever has its password AND its second factor.

    Every other attempt (no code, a wrong password, a wrong code) gets the same locked page and
    counts as a failure, so the lock keeps slowing a guesser, who never learns whether a password
    was right, while the owner cannot be kept out by someone typing wrong passwords.
    """
    form = LockedLoginForm(request.POST)
    found = None
    if form.is_valid():
        try:
            found = services.locked_login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                token=form.cleaned_data["token"], password_holder=form.user,
            )
        except KeyDerivationBusy as error:
            return error_page(request, status=503, title=_("Log in"), message=str(error.user_message))
    if found is None:
        lockout.failure_counted(request, request.POST.get("username", ""))
        return locked_out(request)
    user, device, private_key = found
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # axes forgets the failures
    session_started(request)
    keyring = keyring_store(request, user.pk, private_key)
    request.session.save()
    services.locked_login_completed(
        user=user, device=device, keyring=keyring, session_key=request.session.session_key or ""
    )
    otp_login(request, device)
    return _after_verification(request, user)


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes calls this instead of authenticating a locked-out account."""
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    message = _("Too many failed attempts. This account is locked for %(minutes)d minutes.") % {"minutes": minutes}
    match = request.resolver_match
    if match is not None and match.url_name == "login":
        # The name typed is shown again, never the password; the code is asked for at once.
        form = LockedLoginForm(initial={"username": request.POST.get("username", "")})
        context = {"form": form, "locked_message": message, "next": _safe_next(request) or ""}
        return render(request, "accounts/login.html", context, status=429)
    return error_page(request, status=429, title=_("Account locked"), message=message)


PENDING_DEVICE_KEY = "defensor_pending_totp"


@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect("staff:login")
    if services.has_confirmed_totp(user):
        return redirect("staff:2fa-verify")
    form = EnrolmentForm(request.POST or None)
    pending_id = request.session.get(PENDING_DEVICE_KEY)
    if request.method == "POST" and form.is_valid() and pending_id is not None:
        result = services.totp_enrolment_confirm(
            user=user, device_id=pending_id, token=form.cleaned_data["token"], keyring=keyring_for(request),
            session=request.session,
        )
        if result is not None:
            device, codes = result
            request.session.pop(PENDING_DEVICE_KEY, None)
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": True})
        form.add_error("token", _("This code is not right. Check the time on your phone and try the newest code."))
    # Each session gets its own secret: one seen elsewhere (say, by someone else who had the
    # one-time password) is replaced, never shared.
    device = TOTPDevice.objects.filter(user=user, pk=pending_id, confirmed=False).first() if pending_id else None
    if device is None:
        device = services.totp_enrolment_start(user=user)
        request.session[PENDING_DEVICE_KEY] = device.pk
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": _b32_secret(device.bin_key)},
        status=400 if form.errors else 200,
    )


def _b32_secret(key: bytes) -> str:
    import base64

    raw = base64.b32encode(key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect("staff:login")
    if is_two_factor_verified(user):
        return redirect("staff:home")
    if not services.has_confirmed_totp(user):
        return redirect("staff:2fa-setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_check(
            user=user, token=form.cleaned_data["token"], keyring=keyring_for(request), session=request.session
        )
        if device is not None:
            otp_login(request, device)
            return _after_verification(request, user)
        form.add_error(
            "token",
            _("This code is not right. Use the newest code from your app, or a recovery code. "
              "After several wrong codes you must wait before trying again."),
        )
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request) or ""},
        status=400 if form.errors else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User) and request.user.is_authenticated:
        services.logout_recorded(user=request.user)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    auth_logout(request)
    messages.success(request, _("You have logged out."))
    response = redirect("staff:login")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True,
                        secure=settings.PRODUCTION)
    return response


@staff_view(Perm.WORKSPACE)
@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    services.logout_everywhere(user=acting_user(request))
    auth_logout(request)
    messages.success(request, _("You have logged out on every device."))
    return redirect("staff:login")


@staff_view(Perm.WORKSPACE)
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from django.core.exceptions import ValidationError

        try:
            services.password_change(
                request=request,
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except services.WrongPassword as error:
            form.add_error("current_password", str(error.user_message))
        except ValidationError as error:
            form.add_error("new_password", error)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("staff:home")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)


@staff_view(Perm.WORKSPACE)
@require_http_methods(["GET", "POST"])
def account_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = LanguageForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        services.language_set(user=user, language=form.cleaned_data["language"])
        messages.success(request, _("Language saved."))
        return redirect("staff:account")
    return account_page(request, form=form)


KEY_NAMES = {
    KeyKind.INTAKE: gettext_lazy("the intake key (to read requests from the public)"),
    KeyKind.INDEX: gettext_lazy("the search key (to find people and duplicate requests)"),
}


def keys_pending_for(target: User) -> list[dict[str, Any]]:
    """The organisation keys ``target`` waits for, each with the colleagues who can pass it on."""
    kinds = keys.keys_pending(users=[target]).get(target.pk, [])
    organisation = target.membership.organisation
    return [
        {"name": KEY_NAMES[kind], "holders": keys.key_holders(organisation=organisation, kinds=[kind])}
        for kind in kinds
    ]


def account_page(
    request: HttpRequest, *, form: LanguageForm | None = None, refused: Mapping[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The account page: language and security, then the cards other apps contribute
    (accounts.sections). ``refused``: a card's form that was sent and refused, by the card's key,
    shown again with its errors (the card's own view calls this with status 400)."""
    user = acting_user(request)
    cards: list[dict[str, Any]] = []
    for section in account_sections():
        shown = section.context(request, user, (refused or {}).get(section.key))
        if shown is not None:
            cards.append({"template": section.template, "context": shown})
    context: dict[str, Any] = {
        "form": form or LanguageForm(initial={"language": user.language}),
        "role": Role(user.membership.role), "permissions": permissions_for(Role(user.membership.role)),
        "sections": cards, "keys_pending": keys_pending_for(user),
    }
    return render(request, "accounts/account.html", context, status=status)


@staff_view(Perm.WORKSPACE)
@require_POST
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = services.recovery_codes_regenerate(user=acting_user(request))
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": False})


# --- user management (administrators) --------------------------------------------------------


@staff_view(Perm.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def users_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.user_create(
                organisation=actor.membership.organisation,
                username=form.cleaned_data["username"],
                role=Role(form.cleaned_data["role"]),
                language=form.cleaned_data["language"],
                created_by=actor,
                keyring=keyring_for(request),
            )
        except services.UsernameTaken as error:
            form.add_error("username", str(error.user_message))
        else:
            # Shown once, in this response only: the administrator hands it over in person.
            return render(request, "accounts/user_password.html", {"target": user, "password": password})
    users = list(users_for(actor=actor))
    locks = lockout.account_locks(usernames=[u.username for u in users])
    pending = keys.keys_pending(users=users)
    return render(
        request, "accounts/users.html",
        {"users": [(u, locks.get(u.username), [KEY_NAMES[k] for k in pending.get(u.pk, [])]) for u in users],
         "form": form,
         "locked": [(u, locks[u.username]) for u in users if u.username in locks]},
        status=400 if form.errors else 200,
    )


@staff_view(Perm.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = acting_user(request)
    target = user_for(actor=actor, user_id=user_id)
    role_form = RoleForm(initial={"role": target.membership.role})
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "unlock":
            failures = services.user_unlock(user=target, unlocked_by=actor)
            if failures:
                messages.success(request, _("%(name)s can log in again: %(count)d failed attempts are forgotten.")
                                 % {"name": target.username, "count": failures})
            else:
                messages.info(request, _("%(name)s was not locked. Nothing was changed.") % {"name": target.username})
            if request.POST.get("back") == "team":
                return redirect("staff:users")
            return redirect("staff:user", user_id=target.pk)
        if action == "disable":
            services.user_disable(user=target, disabled_by=actor)
            messages.success(request, _("The account is disabled. Its sessions have ended."))
        elif action == "enable":
            services.user_enable(user=target, enabled_by=actor, keyring=keyring_for(request))
            messages.success(request, _("The account is enabled."))
        elif action == "role":
            role_form = RoleForm(request.POST)
            if not role_form.is_valid():
                return _user_page(request, target, role_form=role_form, status=400)
            cases = cases_held_count(user=target)
            removed = services.user_set_role(
                user=target, role=Role(role_form.cleaned_data["role"]), changed_by=actor, keyring=keyring_for(request),
            )
            if removed:
                messages.warning(request, _(
                    "The role is changed. This role works on no case, so access to the cases that were shared with "
                    "the account (%(count)d) and to their clients' records was removed. Changing the role back "
                    "does not return it: share each case again.") % {"count": cases})
            else:
                messages.success(request, _("The role is changed."))
        elif action == "reset-2fa":
            password = services.user_reset_two_factor(user=target, reset_by=actor)
            messages.success(request, _("Two-factor authentication is reset. The user sets it up again at next login."))
            return render(request, "accounts/user_password.html", {"target": target, "password": password})
        elif action == "reset-password":
            password = services.user_reset_password(user=target, reset_by=actor)
            return render(request, "accounts/user_password.html", {"target": target, "password": password})
        else:
            messages.error(request, _("Unknown action. Nothing was changed."))
            return redirect("staff:user", user_id=target.pk)
        return redirect("staff:user", user_id=target.pk)
    return _user_page(request, target, role_form=role_form)


def _user_page(request: HttpRequest, target: User, *, role_form: RoleForm, status: int = 200) -> HttpResponse:
    works_on_cases = has_permission(target, Perm.CASES_WORK)
    context = {
        "target": target, "role_form": role_form,
        "lock": lockout.account_locks(usernames=[target.username]).get(target.username),
        # What a change to a role without case work would take away, said before it is made.
        "cases_held": cases_held_count(user=target) if works_on_cases else 0,
        "roles_without_cases": [role.label for role in Role if role not in ROLE_PERMISSIONS[Perm.CASES_WORK]],
        "keys_pending": keys_pending_for(target) if target.is_active else [],
    }
    return render(request, "accounts/user_detail.html", context, status=status)
