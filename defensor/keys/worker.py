"""Handing work to the background worker without handing it to the disk.

A task holds ids, never keys or content. Work that needs a key (render a document from a case's
data, then seal it under the case's key) travels in an *envelope*: sealed, by the request that
holds the user's unlocked key ring, to the public key of every running worker. Each worker makes
its key pair at start and keeps the private half only in memory (``WorkerIdentity``); its public
half is in ``WorkerKey`` with a heartbeat. A worker that restarts cannot open older envelopes:
that work fails and is asked for again, never silently lost or opened from a copy.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from defensor.core.errors import DefensorError
from defensor.keys import crypto
from defensor.keys.models import KeyMaterial, WorkerKey
from defensor.keys.records import RecordSealer

HEARTBEAT_SECONDS = 15
ALIVE_SECONDS = 60  # a worker not seen for this long is taken for gone


class EnvelopeUnreadable(DefensorError):
    """No key of this worker opens the envelope (it was sealed to a worker since restarted)."""


class EnvelopeForOtherKey(DefensorError):
    """The envelope carries another data key than the record's own (it was rotated since)."""


@dataclass
class WorkerIdentity:
    """This process's worker key pair: registered while it runs, the private key never stored."""

    keypair: crypto.KeyPair = field(default_factory=crypto.generate_keypair)
    key_id: int | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def register(self) -> None:
        now = timezone.now()
        # A worker that was killed never retired its key: gone once it has missed ALIVE_SECONDS
        # of heartbeats (``--restart`` would otherwise add a row per crash).
        WorkerKey.objects.filter(seen_at__lt=now - timedelta(seconds=ALIVE_SECONDS)).delete()
        self.key_id = WorkerKey.objects.create(public_key=self.keypair.public, seen_at=now).pk

    def beat(self) -> None:
        if self.key_id is not None:
            WorkerKey.objects.filter(pk=self.key_id).update(seen_at=timezone.now())

    def start_heartbeat(self) -> threading.Thread:
        def run() -> None:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                close_old_connections()
                self.beat()
            close_old_connections()

        thread = threading.Thread(target=run, name="worker-heartbeat", daemon=True)
        thread.start()
        return thread

    def retire(self) -> None:
        self._stop.set()
        if self.key_id is not None:
            WorkerKey.objects.filter(pk=self.key_id).delete()
            self.key_id = None

    def open(self, envelope: str) -> bytes:
        sealed = json.loads(envelope)
        mine = sealed.get(str(self.key_id))
        if mine is None:
            raise EnvelopeUnreadable()
        return crypto.unseal(self.keypair.private, base64.b64decode(mine))

    def open_record(self, envelope: str, material: KeyMaterial) -> tuple[RecordSealer, bytes]:
        """A record envelope (``envelope_seal_record``): the record's sealer and the payload.
        EnvelopeUnreadable if it is not this worker's; EnvelopeForOtherKey if it was sealed with
        another key than ``material`` (the record's key was rotated meanwhile)."""
        opened = json.loads(self.open(envelope))
        if opened["material"] != str(material.pk):
            raise EnvelopeForOtherKey()
        return RecordSealer(material=material, key=base64.b64decode(opened["key"])), base64.b64decode(opened["payload"])


_current: WorkerIdentity | None = None


def worker_identity_start() -> WorkerIdentity:
    """Called once by the worker process at start."""
    global _current
    identity = WorkerIdentity()
    identity.register()
    _current = identity
    return identity


def worker_identity() -> WorkerIdentity | None:
    return _current


def worker_identity_stop() -> None:
    global _current
    if _current is not None:
        _current.retire()
    _current = None


def live_worker_keys() -> list[WorkerKey]:
    """Workers seen within ALIVE_SECONDS (a heartbeat from the future is not believed)."""
    now = timezone.now()
    return list(WorkerKey.objects.filter(seen_at__gte=now - timedelta(seconds=ALIVE_SECONDS),
                                         seen_at__lte=now + timedelta(seconds=5)))


def envelope_seal(payload: bytes, workers: list[WorkerKey]) -> str:
    """The payload sealed to each running worker's public key (any of them may take the task)."""
    return json.dumps({str(w.pk): base64.b64encode(crypto.seal(bytes(w.public_key), payload)).decode()
                       for w in workers})


def envelope_seal_record(sealer: RecordSealer, payload: bytes, workers: list[WorkerKey]) -> str:
    """A record's data key and the work to do with it, sealed to the running workers: opened
    with ``WorkerIdentity.open_record``."""
    return envelope_seal(json.dumps({
        "material": str(sealer.material.pk), "key": base64.b64encode(sealer.key).decode(),
        "payload": base64.b64encode(payload).decode(),
    }).encode(), workers)
