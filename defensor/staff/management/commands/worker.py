"""``defensor worker``: django-tasks-db's worker with a key pair of its own, held only in memory
(defensor.keys.worker), so requests can hand it sealed work. `defensor serve` starts one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from defensor.core.periodic import periodic_schedule_all
from defensor.core.server import children_die_with_parent
from defensor.keys.worker import worker_identity_start, worker_identity_stop

RESTART_AFTER_SECONDS = 5


class Command(DatabaseWorkerCommand):
    help = "Run background tasks (recurring runs, documents) with an in-memory worker key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--restart", action="store_true",
                            help="run the worker as a child process and start it again if it dies")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.pop("restart", False):
            self._keep_running(options)
            return
        identity = worker_identity_start()
        # Recurring work the apps registered (the daily reminder run…) waits, whoever started this worker.
        periodic_schedule_all()
        if not options.get("batch"):
            identity.start_heartbeat()
        try:
            super().handle(*args, **options)
        finally:
            worker_identity_stop()

    def _keep_running(self, options: dict[str, Any]) -> None:
        """A dead worker (killed, out of memory) leaves documents waiting and the daily reminder run
        unrun: start it again. A worker told to stop (SIGTERM, Ctrl-C) is not restarted."""
        argv = [sys.executable, "-m", "defensor.cli", "worker", "--interval", str(options["interval"])]
        while True:
            try:
                code = subprocess.call(argv, preexec_fn=children_die_with_parent())  # noqa: S603 - our own command
            except KeyboardInterrupt:  # Ctrl-C reached the worker too: it stops on its own
                return
            if code in (0, -signal.SIGTERM, -signal.SIGINT):
                return
            self.stderr.write(f"The background worker stopped (exit {code}); starting it again.")
            time.sleep(RESTART_AFTER_SECONDS)
