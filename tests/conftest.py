"""Shared fixtures: an organisation with a team (olga the admin, anna the lawyer, pavel the
paralegal, boris the volunteer) and clients logged in with verified two-factor authentication."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from defensor.accounts.models import Membership, Role, User
from defensor.core.models import Organisation

PASSWORD = "correct horse battery staple 42"


def require_tool(name: str) -> str:
    """Path of a system tool. Missing: skipped on a developer machine, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Правозащитная группа")


@pytest.fixture
def make_user(organisation: Organisation) -> Callable[..., User]:
    def make(username: str, role: Role, *, language: str = "ru", with_totp: bool = True) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD, language=language)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        if with_totp:
            TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        return user

    return make


@pytest.fixture
def olga(make_user: Callable[..., User]) -> User:
    return make_user("olga", Role.ADMIN)


@pytest.fixture
def anna(make_user: Callable[..., User]) -> User:
    return make_user("anna", Role.LAWYER)


@pytest.fixture
def pavel(make_user: Callable[..., User]) -> User:
    return make_user("pavel", Role.PARALEGAL)


@pytest.fixture
def boris(make_user: Callable[..., User]) -> User:
    return make_user("boris", Role.VOLUNTEER, language="en")


@pytest.fixture
def team(olga: User, anna: User, pavel: User, boris: User) -> dict[Role, User]:
    return {Role.ADMIN: olga, Role.LAWYER: anna, Role.PARALEGAL: pavel, Role.VOLUNTEER: boris}


def current_token(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def verified_client() -> Callable[[User], Client]:
    """A client whose session passed password and TOTP (set up directly, not through the forms)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make


@pytest.fixture
def password_only_client() -> Callable[[User], Client]:
    """Logged in with the password but not yet through the second factor."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def clean_env() -> dict[str, str]:
    """Environment for subprocesses: nothing of Defensor's or Django's from the developer's shell
    (DATABASE_URL stays, so subprocesses use the same database server)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DEFENSOR_", "DJANGO_"))}
