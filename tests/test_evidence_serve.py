"""A large file through the real server: anna uploads a 200 MB recording on her case's page through
`defensor serve` (granian), and downloads it back byte for byte. Meanwhile the server's memory stays
flat (it never holds the file), nothing of the file is written in plaintext to a temp folder, the
data directory or the server's output, and no temp file is left behind."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.canary import Canaries
from tests.serving import free_port, fresh_environment
from tests.serving_staff import (
    Browser,
    Lawyer,
    ServerWatch,
    canary_file,
    prepare_lawyer,
    scan_everything,
    serve_end,
    serve_logged,
)

MB = 1024 * 1024
SIZE = 200 * MB


@pytest.fixture
def server_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = fresh_environment(clean_env, tmp_path)
    (tmp_path / "server-tmp").mkdir()
    # The server's own temp folder (Python's tempfile, granian, LibreOffice...): watched below.
    # Argon2 at its minimum cost, as in the other tests (the same code path).
    return {**env, "TMPDIR": str(tmp_path / "server-tmp"), "DEFENSOR_KDF_OPSLIMIT": "1",
            "DEFENSOR_KDF_MEMLIMIT": str(8 * MB)}


def _started(server_env: dict[str, str], tmp_path: Path) -> tuple[Lawyer, Browser, subprocess.Popen[bytes]]:
    anna = prepare_lawyer(server_env)
    port = free_port()
    server = serve_logged(server_env, port, tmp_path / "serve.log")
    assert server.poll() is None, (tmp_path / "serve.log").read_text()
    browser = Browser(port)
    try:
        browser.sign_in(anna)
    except BaseException:
        serve_end(server)
        raise
    return anna, browser, server


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []


def _download_link(html: str, case_id: int, name: str) -> str:
    found = re.search(rf'href="(/staff/cases/{case_id}/evidence/[0-9a-f-]+/download/)" download>{re.escape(name)}<',
                      html)
    assert found is not None, "the file is not listed on the case page"
    return found.group(1)


def test_anna_uploads_and_downloads_200_mb_through_the_server_in_flat_memory_and_leaves_no_plaintext(
    server_env: dict[str, str], tmp_path: Path,
) -> None:
    data_dir = Path(server_env["DEFENSOR_DATA_DIR"])
    server_tmp = Path(server_env["TMPDIR"])
    log = tmp_path / "serve.log"
    canaries = Canaries()
    name = canaries.new("запись") + ".mp4"
    marker = canaries.new("content").encode()
    anna, browser, server = _started(server_env, tmp_path)
    try:
        case_page = f"/staff/cases/{anna.case_id}/"
        upload_url = f"/staff/cases/{anna.case_id}/evidence/upload/"

        # A 20 MB file first (imports, caches, buffers the size of what is read of any file for its
        # metadata): what is measured below is then what a file's size adds.
        warm_size = 20 * MB
        warm_chunks, _ = canary_file(warm_size, marker)
        warm = browser.upload(upload_url, csrf=browser.csrf_from(case_page), name="warm-up.bin", chunks=warm_chunks,
                              size=warm_size)
        assert warm.status == 302
        status, _, received, _ = browser.download(_download_link(browser.get(case_page).text, anna.case_id,
                                                                 "warm-up.bin"))
        assert (status, received) == (200, warm_size)

        chunks, digest = canary_file(SIZE, marker)
        csrf = browser.csrf_from(case_page)
        with ServerWatch(server.pid, [server_tmp, data_dir / "tmp"]) as upload_watch:
            uploaded = browser.upload(upload_url, csrf=csrf, name=name, chunks=chunks, size=SIZE)
        assert uploaded.status == 302, uploaded.text
        assert uploaded.location.endswith("#evidence")
        page = browser.get(case_page).text
        assert "№ 2" in page or "No. 2" in page  # the success message names the new item
        link = _download_link(page, anna.case_id, name)

        with ServerWatch(server.pid, [server_tmp, data_dir / "tmp"]) as download_watch:
            status, downloaded, received, headers = browser.download(link)
        assert status == 200
        assert headers["Content-Disposition"].startswith("attachment")
        assert received == SIZE
        assert downloaded == digest.hexdigest()
        item_page = browser.get(link.removesuffix("download/")).text
        assert downloaded in item_page  # the SHA-256 she can compare is on the item's page
    finally:
        serve_end(server)

    # Memory: the server's process tree grew by far less than the file, both ways.
    assert upload_watch.samples > 10
    assert download_watch.samples > 10
    assert upload_watch.growth < SIZE / 3, (
        f"upload: the server grew by {upload_watch.growth / MB:.0f} MB ({upload_watch.report()})")
    assert download_watch.growth < SIZE / 3, (
        f"download: the server grew by {download_watch.growth / MB:.0f} MB ({download_watch.report()})")
    # Nor did any process that was running before (the one that served her requests above all):
    # what the tree grew by is a short-lived child that reads the file's first megabytes for its
    # metadata, the same for any size.
    for watch in (upload_watch, download_watch):
        grown = {pid: peak - watch.start_by_process[pid] for pid, peak in watch.peak_by_process.items()
                 if pid in watch.start_by_process}
        assert max(grown.values()) < SIZE / 10, watch.report()
    # No request body spilled into a temp folder, and nothing is left in them.
    assert upload_watch.peak_spilled == 0
    assert download_watch.peak_spilled == 0
    assert list(server_tmp.iterdir()) == []
    assert list((data_dir / "tmp").iterdir()) == []

    # Nothing of the file in the clear: not its content, its name (as sent, JSON-escaped, UTF-16 or
    # percent-encoded, as a download header carries it), or its SHA-256, in any file the server
    # could write (data directory, temp folder, its output), whatever the file's size.
    canaries.secrets.append(digest.digest())
    needles = canaries.needles()
    needles[quote(name).encode()] = f"{name} (percent-encoded)"
    needles[digest.hexdigest().upper().encode()] = "SHA-256 (upper-case hex)"
    output = log.read_bytes()
    assert b"Traceback" not in output, output.decode(errors="replace")
    assert scan_everything([data_dir, server_tmp, log], needles) == []
    # The sealed blob is there (the scan read it): one file of at least the file's size.
    blobs = [path for path in (data_dir / "evidence").rglob("*") if path.is_file()]
    assert any(path.stat().st_size >= SIZE for path in blobs)
    assert uuid.UUID(link.split("/")[-3])  # the URL names the item by its id alone


def test_an_upload_cut_off_half_way_leaves_nothing_and_the_server_goes_on(
    server_env: dict[str, str], tmp_path: Path,
) -> None:
    data_dir = Path(server_env["DEFENSOR_DATA_DIR"])
    anna, browser, server = _started(server_env, tmp_path)
    try:
        case_page = f"/staff/cases/{anna.case_id}/"
        chunks, _ = canary_file(30 * MB, b"cut-off")
        evidence = data_dir / "evidence"
        received: list[int] = []

        def while_sending() -> None:
            # The server seals what it received so far into a part file (bounded wait for it).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not received:
                received.extend(path.stat().st_size for path in _files(evidence) if path.suffix == ".part")
                time.sleep(0.05)

        browser.upload_cut_off(f"{case_page}evidence/upload/", csrf=browser.csrf_from(case_page), name="cut.bin",
                               chunks=chunks, size=100 * MB, before_close=while_sending)
        assert received, "nothing of the upload reached the server"
        # The server notices the closed connection when it next reads: wait for that, bounded.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _files(evidence):
            time.sleep(0.2)
        assert _files(evidence) == []  # not even the sealed part received
        page = browser.get(case_page)
        assert page.status == 200  # the server answers her next page
        assert "cut.bin" not in page.text
    finally:
        serve_end(server)
    assert list(Path(server_env["TMPDIR"]).iterdir()) == []
    assert list((data_dir / "tmp").iterdir()) == []
