"""Production settings pass Django's deployment check; unsafe ones refuse to start."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, "DEFENSOR_DATA_DIR": str(tmp_path), "DEFENSOR_MODE": "production"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy(clean_env: dict[str, str], tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    result = _check({**clean_env, "DEFENSOR_SECRET_KEY": secrets.token_urlsafe(50)}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_can_come_from_a_file(clean_env: dict[str, str], tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    secret_file = tmp_path / "secret"
    secret_file.write_text(secrets.token_urlsafe(50) + "\n")
    result = _check({**clean_env, "DEFENSOR_SECRET_KEY_FILE": str(secret_file)}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("secret", "check_id"),
    [(None, "defensor.E001"), ("short", "defensor.E002"), ("a" * 60, "defensor.E002")],
)
def test_missing_or_weak_secret_refuses_to_start(
    clean_env: dict[str, str], tmp_path: Path, secret: str | None, check_id: str
) -> None:
    env = dict(clean_env)
    if secret is not None:
        env["DEFENSOR_SECRET_KEY"] = secret
    result = _check(env, tmp_path)
    assert result.returncode != 0
    assert check_id in result.stderr + result.stdout


def test_debug_in_production_refuses_to_start(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "DEFENSOR_SECRET_KEY": secrets.token_urlsafe(50), "DEFENSOR_DEBUG": "1"}
    result = _check(env, tmp_path)
    assert result.returncode != 0
    assert "defensor.E003" in result.stderr + result.stdout


def test_production_cookies_are_https_only(clean_env: dict[str, str], tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; {code}"],
        cwd=ROOT,
        env={**clean_env, "DEFENSOR_MODE": "production", "DEFENSOR_SECRET_KEY": secrets.token_urlsafe(50),
             "DEFENSOR_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


def test_any_wsgi_server_refuses_to_load_with_a_weak_secret(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "DEFENSOR_MODE": "production", "DEFENSOR_SECRET_KEY": "short"}
    env["DEFENSOR_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "defensor.E002" in result.stderr
    env["DEFENSOR_SECRET_KEY"] = secrets.token_urlsafe(50)
    ok = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.django_db
def test_the_intake_csrf_cookie_is_samesite_lax_as_the_security_doc_says() -> None:
    from django.test import Client

    cookie = Client().get("/request/").cookies["csrftoken"]
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]
    intake_pages = (ROOT / "docs" / "security.md").read_text().split("- **Pages.**", 1)[1].split("- **", 1)[0]
    assert "SameSite=Lax cookie" in intake_pages
    assert "SameSite=Strict" not in intake_pages
