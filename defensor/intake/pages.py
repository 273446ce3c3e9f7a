"""A questionnaire page shown for the first time, made once and filled in for each visitor.

Such a page (nothing typed, nothing refused, no file attached) is the same for every visitor in
the same language but for two values: the CSRF token and the sealed state. Rendering the
template is about half of what such a request costs the server under a flood, so the page is
rendered once with a mark in place of each, and each visitor gets a copy with their own values.
Nothing of a visitor's is kept: the marks stand where their values go, and the cache holds the
questionnaire's own words only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from defensor.core.csrf import get_token
from defensor.intake.context_processors import public
from defensor.intake.questionnaire import Step

STEP_TEMPLATE = "intake/step.html"
CSRF_MARK = "\x00csrf-token\x00"  # never in a real token or state (both are base64-like)
STATE_MARK = "\x00state\x00"
MAX_PAGES = 1000  # a few dozen in use; a forged state's odd combinations cannot grow it for ever

# what makes two first pages the same -> (the step it was made from, the page with its marks)
_first_pages: dict[tuple[Any, ...], tuple[Step, str]] = {}


def step_page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """``intake/step.html`` with ``context`` (see views._render_step): the same page as rendering
    it, made from the cached one when it is a first showing."""
    form = context["form"]
    first_showing = (
        status == 200
        and not form.is_bound
        and not any(v not in (None, "", []) for v in form.initial.values())
        and not context["upload_errors"]
        and not any(context["attached"].values())
    )
    if not first_showing:
        return render(request, STEP_TEMPLATE, context, status=status)
    step: Step = context["step"]
    key = (
        step.id, get_language() or "", form.prefix or "", tuple(form.fields),
        tuple(q.id for q in form.attachment_questions), tuple(sorted(form.follow_ups)), context["position"],
        context["total"], context["has_previous"], context["multipart"], context["max_mb"],
        context["returning"], context["last"],
    )
    made = _first_pages.get(key)
    if made is None or made[0] is not step:
        if len(_first_pages) > MAX_PAGES:
            _first_pages.clear()
        page = render_to_string(STEP_TEMPLATE, {**context, "state": STATE_MARK, "csrf_token": CSRF_MARK}, request)
        made = _first_pages[key] = (step, page)
    # get_token as {% csrf_token %} would call it: a new visitor's CSRF cookie is set as before.
    filled = made[1].replace(CSRF_MARK, conditional_escape(get_token(request))).replace(
        STATE_MARK, conditional_escape(context["state"])
    )
    return HttpResponse(filled, status=status)


# (template, language, path, the public pages' URLs) -> the page with its marks
_filled_pages: dict[tuple[str, ...], str] = {}


def filled_page(request: HttpRequest, template: str, values: dict[str, str], *, status: int = 200) -> HttpResponse:
    """``template`` whose only per-visitor values are ``values`` ({context name: already escaped
    text}) and the CSRF token: made once per language with a mark in place of each, as a first
    step is, and filled in for each visitor. The cache holds the marks, never a visitor's value."""
    key = (template, get_language() or "", request.path, *public(request).values())
    marks = {name: f"\x00{name}\x00" for name in values}
    page = _filled_pages.get(key)
    if page is None:
        if len(_filled_pages) > MAX_PAGES:
            _filled_pages.clear()
        page = _filled_pages[key] = render_to_string(template, {**marks, "csrf_token": CSRF_MARK}, request)
    # get_token as {% csrf_token %} would call it: a new visitor's CSRF cookie is set as before.
    page = page.replace(CSRF_MARK, conditional_escape(get_token(request)))
    for name, value in values.items():
        page = page.replace(marks[name], value)
    return HttpResponse(page, status=status)
