"""Shared fixtures: an organisation with its keys and a team (olga the admin, anna the lawyer,
pavel the paralegal, boris the volunteer), and clients logged in with verified two-factor
authentication and unlocked key rings."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from defensor.access import services as keys
from defensor.accounts import services as accounts
from defensor.accounts.middleware import session_started
from defensor.accounts.models import Role, User
from defensor.core.models import Organisation
from defensor.intake import services as intake
from defensor.intake.models import Channel, Submission
from defensor.intake.questionnaire import default_questionnaire
from defensor.keys.keyring import (
    KEYRING_COOKIE,
    SESSION_FIELD,
    KeyRing,
    cookie_value,
    session_halves,
    unwrap_private_key,
)
from defensor.keys.models import UserKeyPair

# No timing in tests: Hypothesis's per-example deadline and its "too slow" check are timings, and
# a loaded CI machine (or two test runs at once) trips them on a correct program.
hypothesis_settings.register_profile("defensor", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("defensor")

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


@pytest.fixture(autouse=True)
def fast_key_derivation(settings: object, tmp_path: Path) -> None:
    """Argon2id at its minimum cost in tests (the same code path; production cost is in bench/),
    and recovery kits written to the test's own directory."""
    settings.DEFENSOR_KDF = {"opslimit": 1, "memlimit": 8 * 1024 * 1024}  # type: ignore[attr-defined]
    settings.DEFENSOR_RECOVERY_KIT_DIR = tmp_path  # type: ignore[attr-defined]


@pytest.fixture
def evidence_dir(settings: object, tmp_path: Path) -> Path:
    """The test's own evidence folder (tests run in parallel on one data directory); evidence test
    modules use it for every test (``pytestmark``)."""
    path = tmp_path / "evidence"
    settings.DEFENSOR_EVIDENCE_DIR = path  # type: ignore[attr-defined]
    return path


@dataclass
class OrganisationKit:
    organisation: Organisation
    shares: list[str]

    @property
    def recovery_key(self) -> bytes:
        return keys.recovery_private_key(organisation=self.organisation, shares=self.shares[:2])


@pytest.fixture
def org_kit(db: None) -> OrganisationKit:
    organisation = Organisation.objects.create(name="Правозащитная группа")
    kit = keys.organisation_keys_create(organisation=organisation)
    return OrganisationKit(organisation, kit.shares)


@pytest.fixture
def organisation(org_kit: OrganisationKit) -> Organisation:
    return org_kit.organisation


@pytest.fixture
def make_user(org_kit: OrganisationKit) -> Callable[..., User]:
    """A team member with PASSWORD, a key pair, the organisation keys their role entitles them
    to (sealed from the recovery key, as `defensor recover` would), and a TOTP device."""
    recovery_key = org_kit.recovery_key

    def make(username: str, role: Role, *, language: str = "ru", with_totp: bool = True) -> User:
        user, _ = accounts.user_create(
            organisation=org_kit.organisation, username=username, role=role, created_by=None,
            language=language, password=PASSWORD,
        )
        keys.grants_fill_from_recovery(organisation=org_kit.organisation, recovery_key=recovery_key, user=user)
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
def petra(make_user: Callable[..., User]) -> User:
    """A lawyer of a partner organisation: sees only the cases shared with her."""
    return make_user("petra", Role.PARTNER)


@pytest.fixture
def team(olga: User, anna: User, pavel: User, boris: User, petra: User) -> dict[Role, User]:
    return {Role.ADMIN: olga, Role.LAWYER: anna, Role.PARALEGAL: pavel, Role.VOLUNTEER: boris, Role.PARTNER: petra}


def keyring_of(user: User, password: str = PASSWORD) -> KeyRing:
    return KeyRing(user.pk, unwrap_private_key(UserKeyPair.objects.get(user=user), password))


def current_token(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _logged_in_client(user: User, *, verified: bool) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    stored, secret = session_halves(user.pk, keyring_of(user)._private_key)
    session[SESSION_FIELD] = stored
    if verified:
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    client.cookies[KEYRING_COOKIE] = cookie_value(secret)
    client.cookies[KEYRING_COOKIE]["path"] = "/staff/"
    return client


@pytest.fixture
def verified_client() -> Callable[[User], Client]:
    """A client whose session passed password and TOTP and holds an unlocked key ring
    (set up directly, not through the forms; test_auth_flow covers the forms)."""
    return lambda user: _logged_in_client(user, verified=True)


@pytest.fixture
def password_only_client() -> Callable[[User], Client]:
    """Logged in with the password but not yet through the second factor."""
    return lambda user: _logged_in_client(user, verified=False)


@pytest.fixture
def make_submission(org_kit: OrganisationKit) -> Callable[..., Submission]:
    """A request as the public intake stores it (sealed), with the default answers changed by
    ``changes`` (answers set to None are left out)."""
    from tests.intake_visitor import DEFAULT_ANSWERS

    count = iter(range(1, 10_000))

    def make(
        *, language: str = "ru", channel: Channel = Channel.WEB, receipt: str = "", **changes: Any
    ) -> Submission:
        answers = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
        answers.update(changes)
        answers = {k: v for k, v in answers.items() if v is not None}
        receipt = receipt or f"{next(count):025d}"
        received = intake.submission_receive(
            questionnaire=default_questionnaire(), answers=answers, files=[], language=language,
            receipt=receipt, channel=channel, organisation=org_kit.organisation,
        )
        return received.submission

    return make


@pytest.fixture
def clean_env() -> dict[str, str]:
    """Environment for subprocesses: nothing of Defensor's or Django's from the developer's shell
    (DATABASE_URL stays, so subprocesses use the same database server)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DEFENSOR_", "DJANGO_"))}


__all__ = ["PASSWORD", "current_token", "keyring_of", "require_tool", "session_started"]


def attach_file(submission: Submission, name: str, content: bytes, *, kind: str = "text") -> str:
    """A file sent with a later message to ``submission`` (stored as intake stores it: sealed to the
    intake key, the file encrypted as a stream). Returns the attachment's id."""
    import io
    import uuid

    from defensor.intake.state import AttachedFile
    from defensor.intake.uploads import attachment_path
    from defensor.keys import crypto
    from defensor.keys.streams import encrypt_file

    file_id = str(uuid.uuid4())
    key = crypto.random_key()
    encrypt_file(io.BytesIO(content), attachment_path(file_id), key, limit=len(content) + 1)
    intake.submitter_message_add(submission=submission, text="",
                                 files=[AttachedFile(id=file_id, key=key, name=name, type=kind, size=len(content))])
    return file_id
