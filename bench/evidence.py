"""The evidence locker: a large file streamed into a case (sealed as it is read), against a plain
copy of the same file in the same run, the memory it takes, and a court bundle of 100 items.

Figures (bench/results/evidence.json):
  ingest_mb_per_s            MB/s of item_ingest for a 200 MB file of random bytes read from disk
                             (sealed, SHA-256 of plaintext and ciphertext, type sniffed, fsynced,
                             recorded with its custody and audit events)
  copy_mb_per_s              MB/s of shutil.copyfileobj of the same file to the same folder, fsynced
  ingest_vs_copy_ratio       ingest seconds / copy seconds (how many times a plain copy's time)
  seal_only_mb_per_s         MB/s of keys.streams.encrypt_file alone on the same file (no content scan,
                             no record): where the ingest's time goes
  ingest_peak_rss_mb         peak growth of the process's resident memory while ingesting 200 MB
  ingest_peak_rss_mb_20mb    the same for a 20 MB file: about equal, memory does not grow with the file
  bundle_100_items_s         median seconds to build a court bundle of 100 small items (10 KB each) in
                             the request (no worker): BagIt ZIP sealed as written, inventory DOCX,
                             custody JSON
  bundle_200mb_s             seconds to build a bundle of the 200 MB item alone
  bundle_200mb_peak_rss_mb   peak growth of resident memory while doing so (flat as well)
  serve_upload_mb            size of the file sent through the real server below (DEFENSOR_BENCH_SERVE_MB,
                             default 2048; 0 leaves the serve_* figures out)
  serve_upload_mb_per_s      MB/s of a lawyer's upload on the case page through `defensor serve` (granian,
                             one worker process): signed in with password and code, multipart with
                             Content-Length, from the client's first byte to the redirect after the item
                             is recorded (so including the metadata read, in its sandboxed child)
  serve_upload_peak_rss_mb   peak growth of the resident memory of the server's whole process tree (main
                             process, worker process, background worker, the metadata child) while
                             uploading, above its level after a 20 MB upload
  serve_upload_rss_vs_ingest serve_upload_peak_rss_mb / ingest_peak_rss_mb of the same run (the server's
                             figure counts the metadata child, the in-process one its own process only)
  serve_peak_rss_total_mb    the tree's resident memory at that peak, all of it
  serve_download_mb_per_s    MB/s of downloading the same file back (SHA-256 checked)
  serve_download_peak_rss_mb peak growth of the tree's resident memory while downloading
Quick mode: 3 rounds of the 100-item bundle; BENCH_FULL=1: 7. Resident memory is sampled every
2 ms from /proc/self/statm (Linux), after a warm-up ingest.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import FULL, cleanup, print_table, setup_django, write_results

MB = 1024 * 1024
BIG = 200 * MB
SMALL = 20 * MB
SERVE_MB = int(os.environ.get("DEFENSOR_BENCH_SERVE_MB", "2048"))


class PeakRss:
    """Peak resident memory above the level at start, sampled in a thread."""

    def __init__(self) -> None:
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._stop = threading.Event()
        self.start = self.peak = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MB


def _random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        left = size
        while left:
            block = os.urandom(min(left, 4 * MB))
            handle.write(block)
            left -= len(block)
    return path


def _copy_seconds(source: Path, target: Path) -> float:
    start = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


def _same_block(size: int) -> tuple[Iterator[bytes], hashlib._Hash]:
    """``size`` bytes as 1 MiB pieces of one random block (the client's CPU goes to sending, not
    to making random bytes), and their SHA-256 once sent."""
    block, digest = os.urandom(MB), hashlib.sha256()

    def pieces() -> Iterator[bytes]:
        left = size
        while left:
            piece = block if left >= MB else block[:left]
            digest.update(piece)
            left -= len(piece)
            yield piece

    return pieces(), digest


def serve_upload(size: int, root: Path) -> dict[str, float]:
    """Upload and download ``size`` bytes through `defensor serve` in a data directory of its own
    (tests.serving_staff: the same lawyer, browser and watch as tests/test_evidence_serve.py)."""
    from tests.serving import free_port, fresh_environment
    from tests.serving_staff import Browser, ServerWatch, prepare_lawyer, serve_end, serve_logged

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEFENSOR_", "DJANGO_"))}
    env = fresh_environment(clean, root)
    env["DEFENSOR_EVIDENCE_MAX_MB"] = str(max(2048, size // MB + 1))
    lawyer = prepare_lawyer(env)
    port = free_port()
    server = serve_logged(env, port, root / "serve.log")
    try:
        if server.poll() is not None:
            raise RuntimeError("defensor serve did not start: " + (root / "serve.log").read_text())
        browser = Browser(port)
        browser.sign_in(lawyer)
        case_page = f"/staff/cases/{lawyer.case_id}/"
        upload_url = f"{case_page}evidence/upload/"
        warm, _ = _same_block(SMALL)
        browser.upload(upload_url, csrf=browser.csrf_from(case_page), name="warm.bin", chunks=warm, size=SMALL)
        chunks, digest = _same_block(size)
        csrf = browser.csrf_from(case_page)
        with ServerWatch(server.pid) as up:
            start = time.perf_counter()
            reply = browser.upload(upload_url, csrf=csrf, name="big.bin", chunks=chunks, size=size)
            upload_s = time.perf_counter() - start
        if reply.status != 302:
            raise RuntimeError(f"upload answered {reply.status}")
        found = re.search(r'href="([^"]+/download/)" download>big.bin<', browser.get(case_page).text)
        if found is None:
            raise RuntimeError("the uploaded file is not listed")
        with ServerWatch(server.pid) as down:
            start = time.perf_counter()
            status, sha256, received, _ = browser.download(found.group(1))
            download_s = time.perf_counter() - start
        if (status, received, sha256) != (200, size, digest.hexdigest()):
            raise RuntimeError("the file came back different")
    finally:
        serve_end(server)
    return {
        "serve_upload_mb": size // MB,
        "serve_upload_mb_per_s": round(size / MB / upload_s, 1),
        "serve_upload_peak_rss_mb": round(up.growth / MB, 1),
        "serve_peak_rss_total_mb": round(up.peak_rss / MB, 1),
        "serve_download_mb_per_s": round(size / MB / download_s, 1),
        "serve_download_peak_rss_mb": round(down.growth / MB, 1),
    }


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from django.conf import settings

    from bench.dedupe import make_team
    from defensor.cases import services as cases
    from defensor.evidence.bundle import bundle_request
    from defensor.evidence.models import BundleStatus, Source
    from defensor.evidence.services import item_ingest
    from defensor.keys import crypto
    from defensor.keys.keyring import KeyRing
    from defensor.keys.streams import encrypt_file
    from defensor.keys.worker import worker_identity_stop

    worker_identity_stop()  # no worker: the bundle is built in the request, timed whole
    rounds = 7 if FULL else 3
    team = make_team()
    lawyer = team.lawyer
    keyring = KeyRing(lawyer.pk, team.lawyer_private)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Отказ от командировки", number="B-1")
    work = Path(settings.DATA_DIR) / "bench-files"
    work.mkdir(exist_ok=True)
    big = _random_file(work / "big.bin", BIG)
    small = _random_file(work / "small.bin", SMALL)

    def ingest(path: Path, name: str) -> float:
        start = time.perf_counter()
        with path.open("rb") as stream:
            item_ingest(case=case, source=Source.UPLOAD, stream=stream, name=name, added_by=lawyer, keyring=keyring)
        return time.perf_counter() - start

    ingest(_random_file(work / "warm.bin", MB), "warm.bin")  # imports, first queries, the evidence folder
    copy_s = min(_copy_seconds(big, work / "copy.bin") for _ in range(2))
    with PeakRss() as small_rss:
        ingest(small, "small.bin")
    with PeakRss() as big_rss:
        ingest_s = ingest(big, "big.bin")
    big_item = case.evidence.get(number=3)
    start = time.perf_counter()
    with big.open("rb") as stream:
        encrypt_file(stream, work / "sealed.bin", crypto.random_key(), limit=2 * BIG)
    seal_s = time.perf_counter() - start

    small_items = []
    for index in range(100):
        path = _random_file(work / f"item-{index}.bin", 10 * 1024)
        with path.open("rb") as stream:
            small_items.append(item_ingest(case=case, source=Source.UPLOAD, stream=stream, name=f"item-{index}.jpg",
                                           added_by=lawyer, keyring=keyring))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        bundle = bundle_request(case=case, item_ids=[str(item.pk) for item in small_items], requested_by=lawyer,
                                keyring=keyring)
        times.append(time.perf_counter() - start)
        if bundle.status != BundleStatus.DONE:
            raise RuntimeError(f"bundle failed: {bundle.failure}")
    with PeakRss() as bundle_rss:
        start = time.perf_counter()
        bundle = bundle_request(case=case, item_ids=[str(big_item.pk)], requested_by=lawyer, keyring=keyring)
        bundle_big_s = time.perf_counter() - start
    if bundle.status != BundleStatus.DONE:
        raise RuntimeError(f"bundle failed: {bundle.failure}")

    figures: dict[str, float | int] = {
        "ingest_mb_per_s": round(BIG / MB / ingest_s, 1),
        "copy_mb_per_s": round(BIG / MB / copy_s, 1),
        "ingest_vs_copy_ratio": round(ingest_s / copy_s, 2),
        "seal_only_mb_per_s": round(BIG / MB / seal_s, 1),
        "ingest_peak_rss_mb": round(big_rss.growth_mb, 1),
        "ingest_peak_rss_mb_20mb": round(small_rss.growth_mb, 1),
        "bundle_100_items_s": round(statistics.median(times), 3),
        "bundle_200mb_s": round(bundle_big_s, 2),
        "bundle_200mb_peak_rss_mb": round(bundle_rss.growth_mb, 1),
    }
    if SERVE_MB > 0:
        for path in work.iterdir():  # the in-process files are not needed any more: room for the big one
            path.unlink()
        served = serve_upload(SERVE_MB * MB, data_dir / "serve")
        ingest_rss = max(float(figures["ingest_peak_rss_mb"]), 0.1)
        served["serve_upload_rss_vs_ingest"] = round(served["serve_upload_peak_rss_mb"] / ingest_rss, 2)
        figures.update(served)
    print_table(f"Evidence locker (200 MB of random bytes; 100 items of 10 KB; {SERVE_MB} MB through the server)",
                [(name, str(value)) for name, value in figures.items()])
    write_results("evidence", figures)
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
