"""The worker's nightly backup: one archive a night, the newest N kept, the drill on the newest
one each week with the worker's own in-memory key, a failure recorded; and the overview warns
administrators (only them) when the last good backup is too old or the last drill failed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.intake.models import Submission
from defensor.operations.models import BackupRun, RunKind
from defensor.operations.tasks import backup_daily, backup_next_run, backup_run_daily, backup_schedule

pytestmark = pytest.mark.django_db(transaction=True)
MOSCOW = ZoneInfo("Europe/Moscow")  # the settings' time zone


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "backups"
    settings.DEFENSOR_BACKUP_DIR = str(folder)
    settings.DEFENSOR_BACKUP_KEEP = 2
    return folder


def test_the_nightly_backup_keeps_the_newest_and_drills_once_a_week(
    backups: Path, make_submission: Callable[..., Submission], org_kit: Any
) -> None:
    make_submission(full_name="Орлов Иван Петрович")
    backups.mkdir()
    for day in ("20200101-030000", "20200102-030000"):  # two older nights' archives
        (backups / f"defensor-backup-{day}.age").write_bytes(b"old")
    killed = backups / ".defensor-backup-20200103-030000.age.partial"  # a backup killed while writing
    killed.write_bytes(b"half")
    os.utime(killed, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    assert backup_run_daily() == "made, drill passed"
    names = sorted(p.name for p in backups.iterdir())
    assert len(names) == 2  # the newest two: last night's and tonight's
    assert names[0] == "defensor-backup-20200102-030000.age"
    drill = BackupRun.objects.get(kind=RunKind.DRILL)
    assert drill.ok
    assert drill.records_opened == 0  # the worker holds no recovery key: it proves the archive, not the records
    # Within the week: a backup, no second drill.
    assert backup_run_daily() == "made"
    assert BackupRun.objects.filter(kind=RunKind.DRILL).count() == 1
    assert BackupRun.objects.filter(kind=RunKind.BACKUP, ok=True).count() == 2
    actions = list(AuditEvent.objects.filter(action__startswith="backup.").values_list("action", flat=True))
    assert actions.count("backup.made") == 2
    assert "backup.pruned" in actions
    assert "backup.drill" in actions


def test_the_drill_with_the_recovery_key_opens_the_requests(
    backups: Path, make_submission: Callable[..., Submission], org_kit: Any
) -> None:
    from defensor.keys import age
    from defensor.operations.backup import backup_create
    from defensor.operations.drill import backup_verify

    for surname in ("Орлов", "Зайцев", "Волков"):
        make_submission(full_name=f"{surname} Иван Петрович")
    made = backup_create()
    drill = backup_verify(archive_path=made.path, identities=[age.identity(org_kit.recovery_key)])
    assert drill.ok, drill.report
    assert drill.report["records_opened"] == 3
    assert drill.report["tables_differing"] == []


def test_a_failed_backup_is_recorded_and_the_next_night_still_comes(settings: Any, org_kit: Any) -> None:
    from django.utils import translation
    from django_tasks_db.models import DBTaskResult

    settings.DEFENSOR_BACKUP_DIR = str(Path(settings.DATA_DIR) / "inside")  # refused: inside the data directory
    translation.activate("en")  # what the process last spoke: the record is still in the organisation's language
    assert backup_daily.call() == "failed"
    failed = BackupRun.objects.get()
    assert not failed.ok
    assert "вне папки данных" in failed.problem
    assert AuditEvent.objects.filter(action="backup.failed").exists()
    assert DBTaskResult.objects.filter(task_path="defensor.operations.tasks.backup_daily", status="READY").exists()
    translation.deactivate()


def test_the_backup_runs_at_the_set_hour_and_is_off_without_a_folder(settings: Any) -> None:
    settings.DEFENSOR_BACKUP_HOUR = 3
    evening = datetime(2026, 12, 3, 22, 15, tzinfo=MOSCOW)
    assert backup_next_run(evening) == datetime(2026, 12, 4, 3, 0, tzinfo=MOSCOW)
    night = datetime(2026, 12, 4, 1, 0, tzinfo=MOSCOW)
    assert backup_next_run(night) == datetime(2026, 12, 4, 3, 0, tzinfo=MOSCOW)
    settings.DEFENSOR_BACKUP_DIR = ""
    assert backup_schedule() is False


def _overview(client: Client) -> str:
    response = client.get("/staff/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_overview_warns_administrators_of_old_backups_and_failed_drills(
    backups: Path, olga: User, anna: User, verified_client: Callable[[User], Client], settings: Any
) -> None:
    admin = verified_client(olga)
    assert "Ещё не сделано ни одной резервной копии" in _overview(admin)
    assert 'data-testid="backup-warning"' not in _overview(verified_client(anna))  # administrators only
    now = timezone.now()
    BackupRun.objects.create(kind=RunKind.BACKUP, ok=True, started_at=now, finished_at=now, archive="a.age")
    assert 'data-testid="backup-warning"' not in _overview(admin)  # all is well: nothing said
    BackupRun.objects.filter(kind=RunKind.BACKUP).update(finished_at=now - timedelta(hours=50))
    assert "Последняя удачная резервная копия сделана 50 часов назад" in _overview(admin)
    BackupRun.objects.create(kind=RunKind.BACKUP, ok=True, started_at=now, finished_at=now, archive="b.age")
    BackupRun.objects.create(kind=RunKind.DRILL, ok=False, started_at=now, finished_at=now, archive="b.age",
                             problem="the archive cannot be opened")
    page = _overview(admin)
    assert "Последняя проверка восстановления не удалась" in page
    assert "the archive cannot be opened" in page
    settings.DEFENSOR_BACKUP_DIR = ""
    BackupRun.objects.all().delete()
    assert "Резервные копии не делаются" in _overview(admin)
