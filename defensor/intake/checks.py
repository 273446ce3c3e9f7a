"""Start-up checks: a malformed questionnaire stops the server with its file and line."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from defensor.intake.questionnaire import QuestionnaireError, parse, questionnaires


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
