"""Background work of the evidence locker: the task gets an id, nothing else; the worker opens the
envelope with its in-memory key (defensor.keys.worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def bundle_build(bundle_id: str) -> str:
    """Build the court bundle ``bundle_id`` (evidence.bundle)."""
    from defensor.evidence.bundle import bundle_from_envelope

    bundle = bundle_from_envelope(bundle_id=bundle_id)
    return bundle.status if bundle is not None else "gone"
