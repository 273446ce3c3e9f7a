from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def public(request: HttpRequest) -> dict[str, str]:
    return {"quick_exit_url": settings.DEFENSOR_QUICK_EXIT_URL}
