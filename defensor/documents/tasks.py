"""Background writing of documents: the task gets the document's id, nothing else; the worker
opens the envelope with its in-memory key (defensor.keys.worker)."""

from __future__ import annotations

from django_tasks import task

from defensor.documents.writing import document_from_envelope


@task()
def document_generate(document_id: int) -> str:
    document = document_from_envelope(document_id=document_id)
    return document.status if document is not None else "gone"
