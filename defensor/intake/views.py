from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def landing_view(request: HttpRequest) -> HttpResponse:
    """The public front page: what this is, and how a person's safety is protected."""
    return render(request, "intake/landing.html")
