"""Render bench/results/*.json as the README's benchmark table (between the BENCH markers)."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"


def table() -> str:
    lines = ["| benchmark | figures | machine, date, versions |", "|---|---|---|"]
    for path in sorted(RESULTS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        figures = "<br>".join(f"`{name}` {value}" for name, value in document["figures"].items())
        versions = ", ".join(f"{k} {v}" for k, v in document["versions"].items())
        # calibration_ms: the same fixed workload on every machine (bench/common.py), to compare
        # figures measured on machines of different speed. Files written before it have none.
        calibration = document.get("calibration_ms")
        measured = f"{document['machine']}, calibration {calibration} ms" if calibration else document["machine"]
        lines.append(f"| {path.stem} | {figures} | {measured}, {document['date'][:10]}; {versions} |")
    return "\n".join(lines)


def update_readme(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    print(table())
