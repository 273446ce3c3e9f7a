"""Recurring background work, as a registry the layers below the worker can fill.

An app registers a function that makes sure its next run is queued (``reminders_schedule``,
``uploads_sweep_schedule``); the worker calls every one when it starts, and each task queues its
own next run when it ends (the worker has no clock of its own). Registration happens in the app's
``AppConfig.ready``, so the worker needs to import no feature app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_tasks.base import Task

_schedulers: dict[str, Callable[[], object]] = {}


def periodic_register(name: str, schedule: Callable[[], object]) -> None:
    """Register ``schedule`` (no arguments; queues the next run unless one waits) under ``name``."""
    _schedulers[name] = schedule


def periodic_schedule_all() -> list[str]:
    """Queue every registered recurring task that has no run waiting. Returns the names called."""
    for schedule in _schedulers.values():
        schedule()
    return list(_schedulers)


def periodic_queue_once(task: Task[[], Any], *, run_after: datetime) -> bool:
    """Queue the next run of ``task`` (which takes no arguments) at ``run_after``, unless one is
    already waiting. True if one was queued. Two processes starting at once may both queue: the
    later runs are then removed, and one chain stays."""
    from django_tasks_db.models import DBTaskResult  # a model: not importable before the apps are

    waiting = DBTaskResult.objects.filter(task_path=task.module_path, status="READY").order_by("run_after", "pk")
    first = waiting.first()
    if first is not None:
        waiting.exclude(pk=first.pk).delete()
        return False
    task.using(run_after=run_after).enqueue()
    return True

