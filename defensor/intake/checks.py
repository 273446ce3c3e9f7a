"""Start-up checks: a malformed questionnaire stops the server with its file and line; limits on
files that refuse what the questionnaire invites, or keep no disk for the team, are named."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from defensor.intake.questionnaire import QuestionnaireError, default_questionnaire, parse, questionnaires


@register()
def check_questionnaires(app_configs: Any, **kwargs: Any) -> list[Error]:
    from defensor.intake.questionnaire import QUESTIONNAIRE_DIR

    errors = []
    for path in sorted(QUESTIONNAIRE_DIR.glob("*.yaml")):
        try:
            parse(path)
        except QuestionnaireError as error:
            errors.append(Error(f"Questionnaire {error}", hint="See docs/questionnaires.md.", id="defensor.E010"))
    if not errors and settings.DEFENSOR_INTAKE_QUESTIONNAIRE not in questionnaires():
        errors.append(
            Error(
                f"DEFENSOR_INTAKE_QUESTIONNAIRE names {settings.DEFENSOR_INTAKE_QUESTIONNAIRE!r}, which is not in "
                f"{QUESTIONNAIRE_DIR}.",
                id="defensor.E011",
            )
        )
    return errors


@register()
def check_upload_limits(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.DEFENSOR_DISK_FLOOR_BYTES > settings.DEFENSOR_DISK_RESERVE_BYTES:
        messages.append(Error(
            "DEFENSOR_DISK_FLOOR_MB is above DEFENSOR_DISK_RESERVE_MB: requests would stop before files do.",
            hint="The floor (requests and messages stop) must be at most the reserve (files stop).",
            id="defensor.E012",
        ))
    try:
        questionnaire = default_questionnaire()
    except (QuestionnaireError, KeyError):
        return messages  # check_questionnaires names it
    most = max((q.max_files for q in questionnaire.questions() if q.type == "attachment"), default=0)
    wanted = most * (settings.DEFENSOR_INTAKE_MAX_FILE_BYTES + 128 * 1024)  # as stored: encrypted, rounded up
    if wanted > settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT:
        messages.append(Warning(
            f"A form may hold {most} files of up to {settings.DEFENSOR_INTAKE_MAX_FILE_BYTES // 2**20} MB, but "
            f"DEFENSOR_INTAKE_UNSENT_MB_PER_VISIT is {settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT // 2**20}: "
            "a person attaching the largest files allowed would be refused the last ones.",
            hint="Raise DEFENSOR_INTAKE_UNSENT_MB_PER_VISIT (sizes count as stored: a little above the files').",
            id="defensor.W012",
        ))
    return messages
