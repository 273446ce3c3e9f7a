"""``defensor worker``: django-tasks-db's worker with a key pair of its own, held only in memory
(defensor.keys.worker), so requests can hand it sealed work. `defensor serve` starts one."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from defensor.keys.worker import worker_identity_start, worker_identity_stop


class Command(DatabaseWorkerCommand):
    help = "Run background tasks (deadline reminders, documents) with an in-memory worker key."

    def handle(self, *args: Any, **options: Any) -> None:
        from defensor.deadlines.tasks import reminders_schedule

        identity = worker_identity_start()
        reminders_schedule()  # the daily run waits, whoever started this worker
        if not options.get("batch"):
            identity.start_heartbeat()
        try:
            super().handle(*args, **options)
        finally:
            worker_identity_stop()
