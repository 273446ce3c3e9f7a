"""Recurring background work, as a registry the layers below the worker can fill.

An app registers a function that makes sure its next run is queued (``reminders_schedule``,
``uploads_sweep_schedule``); the worker calls every one when it starts, and each task queues its
own next run when it ends (the worker has no clock of its own). Registration happens in the app's
``AppConfig.ready``, so the worker needs to import no feature app.
"""

from __future__ import annotations

from collections.abc import Callable

_schedulers: dict[str, Callable[[], object]] = {}


def periodic_register(name: str, schedule: Callable[[], object]) -> None:
    """Register ``schedule`` (no arguments; queues the next run unless one waits) under ``name``."""
    _schedulers[name] = schedule


def periodic_schedule_all() -> list[str]:
    """Queue every registered recurring task that has no run waiting. Returns the names called."""
    for schedule in _schedulers.values():
        schedule()
    return list(_schedulers)
