"""`make bench`: run every benchmark in its own process, then refresh the README table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.report import update_readme

BENCHMARKS = ["bench.audit", "bench.keys", "bench.intake", "bench.inbox", "bench.dedupe", "bench.cases", "bench.backup",
              "bench.documents", "bench.triage", "bench.evidence", "bench.reports"]


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        result = subprocess.run([sys.executable, "-m", module], check=False)
        if result.returncode != 0:
            failed.append(module)
    update_readme(Path(__file__).resolve().parent.parent / "README.md")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
