from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from defensor.core.datadir import data_dir_tighten, database_unready
from defensor.core.server import children_die_with_parent, data_dir_lock, granian_installed, port_check, server_argv


class Command(BaseCommand):
    help = (
        "Prepare the data directory (migrate, static files, first-start initialisation) and serve "
        "the application with granian (one thread per worker process)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DEFENSOR_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEFENSOR_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("DEFENSOR_WORKERS", "2")))
        parser.add_argument("--no-prepare", action="store_true", help="skip migrate/collectstatic/init")

    def handle(self, *args: Any, **options: Any) -> None:
        scheme = "https" if settings.PRODUCTION else "http"
        base_url = f"{scheme}://{options['host']}:{options['port']}"
        if not granian_installed():
            raise CommandError("granian is not installed in this environment.")
        # One server per data directory, held until the server ends (across the exec below).
        data_dir_lock(settings.DATA_DIR, port=options["port"])
        tightened = data_dir_tighten(settings.DATA_DIR)
        if tightened:
            self.stderr.write(
                f"Warning: {tightened} files or folders in {settings.DATA_DIR} were open to other users; "
                "they are private now (files 0600, folders 0700)."
            )
        # Held (across the exec) so that no other serve passes the same check before granian listens.
        self.port_claim = port_check(options["host"], options["port"])
        if options["no_prepare"]:
            unready = database_unready()
            if unready:
                raise CommandError(unready)
        else:
            call_command("migrate", interactive=False, verbosity=0)
            if connection.vendor == "sqlite":
                # Table statistics, so SQLite picks the blind indexes rather than walking every
                # row of an organisation (PostgreSQL's autovacuum keeps its own). analysis_limit
                # bounds the rows it reads per index, so start-up stays short on a large database.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA analysis_limit=1000")
                    cursor.execute("ANALYZE")
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("clearsessions")  # expired sessions: nothing to keep
            call_command("init", if_needed=True, url=f"{base_url}/staff/", stdout=self.stdout)
        # The worker queues the recurring runs the apps registered when it starts (defensor worker).
        if settings.DEFENSOR_TASK_WORKER:
            # The worker lives beside the server and ends with it (however it ends); if it dies on
            # its own, it is started again. It runs deadline reminders and document generation.
            # (Popen closes the data directory lock's descriptor in it: the lock is the server's.)
            subprocess.Popen([sys.executable, "-m", "defensor.cli", "worker", "--interval", "5", "--restart"],
                             preexec_fn=children_die_with_parent())
            self.stdout.write("Background worker started (deadline reminders, documents).")
        argv = server_argv(host=options["host"], port=options["port"], workers=options["workers"])
        self.stdout.write(f"Serving the public intake at {base_url}/ and the team workspace at {base_url}/staff/")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - replacing ourselves with the server is the point
