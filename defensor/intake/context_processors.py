from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse


def public(request: HttpRequest) -> dict[str, str]:
    if settings.DEBUG:  # static files may be renamed while a development server runs
        urls = _page_urls()
    else:
        urls = _page_urls_once(get_script_prefix(), settings.STATIC_URL, settings.STORAGES["staticfiles"]["BACKEND"])
    return {"quick_exit_url": settings.DEFENSOR_QUICK_EXIT_URL, **urls}


def _page_urls() -> dict[str, str]:
    return {"landing_url": reverse("intake:landing"), "stylesheet_url": static("defensor/app.css")}


@lru_cache(maxsize=8)
def _page_urls_once(script_prefix: str, static_url: str, storage: str) -> dict[str, str]:
    """The URLs every public page links to, worked out once per process (and per setting a test
    may change): on the intake under a flood, reversing and hashing them each time is real work."""
    return _page_urls()
