"""What the backups and their drills did: times, sizes, counts and verdicts, never content."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    BACKUP = "backup", _("backup")
    DRILL = "drill", _("restore drill")


class BackupRun(models.Model):
    kind = models.CharField(max_length=8, choices=RunKind.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    archive = models.CharField(max_length=200, blank=True)  # the file's name only, never a path
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)  # of the archive file: to tell copies apart
    # A drill that opened records with the recovery key (shares or its identity given), not only
    # the archive (the worker's drill, which holds no recovery key).
    records_opened = models.IntegerField(default=0)
    problem = models.CharField(max_length=300, blank=True)  # what failed, in words; no content

    class Meta:
        indexes = [models.Index(fields=["kind", "ok", "-finished_at"], name="backup_run_latest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.archive} {'ok' if self.ok else 'failed'}"
