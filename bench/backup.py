"""Backups: `defensor backup` of a team with 100,000 requests and their sealed files, against a plain
copy of the same bytes in the same run, and `defensor restore` of that archive.

Figures (bench/results/backup.json):
  requests                   requests in the database (sealed as the intake seals them)
  backup_mb                  MB the backup reads: the database snapshot and the sealed files
  backup_mb_per_s            MB/s of backup_create (snapshot, tar, age encryption, fsync, record)
  copy_mb_per_s              MB/s of copying the same database file and files to the same disk, fsynced
  backup_vs_copy_ratio       backup seconds / copy seconds
  backup_peak_rss_mb         peak growth of the process's resident memory during the backup
  archive_mb                 size of the archive
  restore_100k_s             seconds of `defensor restore` of that archive into an empty data directory
                             (a new process: open, check the manifest, lay the pieces in place, count
                             every table against the manifest, migrations, open 20 requests with the
                             recovery key)
  restore_peak_rss_mb        the restoring process's peak resident memory (all of it)
  migrate_peak_rss_mb        the same for `defensor migrate` of an empty data directory (what loading
                             Defensor itself takes), and restore_vs_migrate_rss_ratio between the two:
                             the archive streams, so the restore costs little more than the program
  restore_vs_copy_ratio      restore seconds / copy seconds
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import cleanup, print_table, setup_django, write_results
from bench.evidence import MB, PeakRss, _random_file

REQUESTS = int(os.environ.get("DEFENSOR_BENCH_BACKUP_REQUESTS", "100000"))
FILES, FILE_MB = 100, 2  # 200 MB of sealed files


def _copy_seconds(sources: list[Path], target: Path) -> float:
    target.mkdir(parents=True)
    start = time.perf_counter()
    for index, source in enumerate(sources):
        with source.open("rb") as src, (target / f"{index}.bin").open("wb") as dst:
            shutil.copyfileobj(src, dst, MB)
            dst.flush()
            os.fsync(dst.fileno())
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


# A process of its own runs the command and reports its peak resident memory: RUSAGE_CHILDREN
# keeps the largest child a process ever waited for, so it is read where there is only this one.
_PROBE = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "defensor.cli", *sys.argv[1:]], capture_output=True, text=True)
if done.returncode != 0:
    sys.exit(done.stderr[-2000:] + done.stdout[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_rss_kb(args: list[str], env: dict[str, str]) -> int:
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"defensor {args[0]} failed: {result.stderr}")
    return int(result.stdout.split()[-1])


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.conf import settings
    from django.db import connection

    from bench.dedupe import make_team
    from bench.inbox import _seal_requests
    from defensor.keys import age
    from defensor.keys.models import KeyKind, KeyMaterial
    from defensor.operations.backup import backup_create

    team = make_team()
    intake_key = KeyMaterial.objects.get(organisation=team.organisation, kind=KeyKind.INTAKE)
    start = time.perf_counter()
    _seal_requests(REQUESTS, team.organisation, intake_key, team.lawyer)
    print(f"sealed {REQUESTS} requests in {time.perf_counter() - start:.0f} s", flush=True)
    attachments = Path(settings.MEDIA_ROOT) / "attachments"
    attachments.mkdir(parents=True, exist_ok=True)
    files = [_random_file(attachments / f"{index:032x}", FILE_MB * MB) for index in range(FILES)]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database = Path(connection.settings_dict["NAME"])
    total = database.stat().st_size + sum(f.stat().st_size for f in files)

    outside = data_dir.parent / f"backups-{os.getpid()}"
    copy_s = min(_copy_seconds([database, *files], outside / "copy") for _ in range(2))
    with PeakRss() as rss:
        start = time.perf_counter()
        made = backup_create(to=outside)
        backup_s = time.perf_counter() - start

    identity_file = outside / "identity.txt"
    identity_file.write_text(age.identity(team.recovery_private) + "\n")
    restored = outside / "restored"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEFENSOR_", "DJANGO_"))}
    env.update(DEFENSOR_DATA_DIR=str(restored), DEFENSOR_TASK_WORKER="0")
    start = time.perf_counter()
    restore_rss_kb = _peak_rss_kb(["restore", str(made.path), "--identity", str(identity_file)], env)
    restore_s = time.perf_counter() - start
    # The baseline for that memory: `defensor migrate` of an empty data directory.
    migrate_rss_kb = _peak_rss_kb(["migrate", "-v0"], {**env, "DEFENSOR_DATA_DIR": str(outside / "empty")})

    figures: dict[str, float | int] = {
        "requests": REQUESTS,
        "backup_mb": round(total / MB, 1),
        "backup_mb_per_s": round(total / MB / backup_s, 1),
        "copy_mb_per_s": round(total / MB / copy_s, 1),
        "backup_vs_copy_ratio": round(backup_s / copy_s, 2),
        "backup_peak_rss_mb": round(rss.growth_mb, 1),
        "archive_mb": round(made.size / MB, 1),
        "restore_100k_s": round(restore_s, 1),
        "restore_peak_rss_mb": round(restore_rss_kb / 1024, 1),
        "migrate_peak_rss_mb": round(migrate_rss_kb / 1024, 1),
        "restore_vs_migrate_rss_ratio": round(restore_rss_kb / migrate_rss_kb, 2),
        "restore_vs_copy_ratio": round(restore_s / copy_s, 2),
    }
    print_table(f"Backup and restore ({REQUESTS} requests, {FILES} sealed files of {FILE_MB} MB)",
                [(name, str(value)) for name, value in figures.items()])
    write_results("backup", figures)
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(outside, ignore_errors=True)
        cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
