"""What the audit log costs a write: log_action vs a plain insert, and chain verification speed.

Every write in Defensor records an AuditEvent in the same transaction, so its cost is paid by
every service. Figures (bench/results/audit.json):
  plain_insert_per_s     one ORM insert per transaction (the baseline)
  audit_append_per_s     one log_action per transaction (insert + chain head lock/update + HMAC)
  audit_vs_plain_ratio   audit_append_per_s / plain_insert_per_s (target: >= 0.3; it adds a locked
                         read and an update of the chain head to every write)
  audit_verify_per_s     events checked per second by `defensor audit verify`
"""

from __future__ import annotations

from bench.common import FULL, cleanup, print_table, rate, setup_django, write_results


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from django.db import transaction

    from defensor.audit.services import log_action, verify_chain
    from defensor.core.models import Organisation

    count = 5000 if FULL else 1000
    organisation = Organisation.objects.create(name="bench")

    def plain() -> None:
        with transaction.atomic():
            Organisation.objects.create(name="bench")

    def audited() -> None:
        with transaction.atomic():
            log_action(action="bench.event", organisation=organisation, target=organisation, details={"n": 1})

    plain_rate = rate(plain, count)
    audit_rate = rate(audited, count)
    import time

    start = time.perf_counter()
    report = verify_chain()
    verify_rate = report.checked / (time.perf_counter() - start)
    assert report.ok
    figures: dict[str, float | int] = {
        "plain_insert_per_s": round(plain_rate),
        "audit_append_per_s": round(audit_rate),
        "audit_vs_plain_ratio": round(audit_rate / plain_rate, 3),
        "audit_verify_per_s": round(verify_rate),
        "events_verified": report.checked,
    }
    write_results("audit", figures)
    print_table("audit log (one transaction per write)", [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
