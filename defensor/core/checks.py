"""System checks with stable ids. In production they stop start-up on unsafe settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

MIN_SECRET_LENGTH = 50
MIN_SECRET_DISTINCT_CHARS = 12


def secret_is_strong(secret: str) -> bool:
    return (
        len(secret) >= MIN_SECRET_LENGTH
        and len(set(secret)) >= MIN_SECRET_DISTINCT_CHARS
        and not secret.startswith("django-insecure")
        and secret != "missing-secret-key"  # noqa: S105 - the placeholder settings.py sets
    )


@register(Tags.security, deploy=False)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.PRODUCTION:
        return []
    if settings.SECRET_KEY == "missing-secret-key":  # noqa: S105
        return [
            Error(
                "DEFENSOR_SECRET_KEY is not set.",
                hint="Set DEFENSOR_SECRET_KEY or DEFENSOR_SECRET_KEY_FILE to a random value of 50+ "
                "characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="defensor.E001",
            )
        ]
    if not secret_is_strong(settings.SECRET_KEY):
        return [
            Error(
                "DEFENSOR_SECRET_KEY is too weak.",
                hint=f"Use at least {MIN_SECRET_LENGTH} random characters with at least "
                f"{MIN_SECRET_DISTINCT_CHARS} distinct ones.",
                id="defensor.E002",
            )
        ]
    return []


@register(Tags.security, deploy=False)
def check_debug_off_in_production(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.PRODUCTION and settings.DEBUG:
        return [
            Error(
                "DEFENSOR_DEBUG is on in production.",
                hint="Debug pages show request data and settings. Unset DEFENSOR_DEBUG.",
                id="defensor.E003",
            )
        ]
    return []


@register(Tags.security, deploy=False)
def check_audit_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    key = settings.DEFENSOR_AUDIT_KEY
    if settings.PRODUCTION and key and not secret_is_strong(key):
        return [
            Error(
                "DEFENSOR_AUDIT_KEY is too weak.",
                hint=f"Use at least {MIN_SECRET_LENGTH} random characters, or unset it to derive "
                "the audit key from DEFENSOR_SECRET_KEY.",
                id="defensor.E004",
            )
        ]
    return []


@register(Tags.security, deploy=False)
def check_recovery_kit_outside_data(app_configs: Any, **kwargs: Any) -> list[Error]:
    kit_dir = settings.DEFENSOR_RECOVERY_KIT_DIR
    if kit_dir == settings.DATA_DIR or settings.DATA_DIR in kit_dir.parents:
        return [
            Error(
                "DEFENSOR_RECOVERY_KIT_DIR is inside the data directory.",
                hint="The recovery kit opens everything; it must never sit with the data it protects "
                "(or its backups). Choose another directory.",
                id="defensor.E005",
            )
        ]
    return []


@register(Tags.database, deploy=False)
def check_sqlite_in_data_dir(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.PRODUCTION and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        data_dir = settings.DATA_DIR
        if not data_dir.exists() or data_dir.stat().st_mode & 0o077:
            return [
                Warning(
                    f"The data directory {data_dir} is readable by other local users.",
                    hint="chmod 700 the data directory.",
                    id="defensor.W001",
                )
            ]
    return []
