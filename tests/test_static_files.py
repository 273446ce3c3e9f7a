"""Static files as production serves them: `defensor serve` collects them under hashed names, and a
visitor's browser (over Tor, every request costs seconds) fetches the style sheet once, compressed,
and keeps it: the page names the hashed file, which comes with a far-future max-age and a gzip
variant. The test suite itself renders without collected files (plain storage); this runs the real
server in production mode on its own data directory."""

from __future__ import annotations

import gzip
import re
import secrets
import urllib.request
from pathlib import Path

from tests.serving import free_port, fresh_environment, serve_start, serve_stop

ONE_YEAR = 365 * 24 * 3600


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": "ru", **headers})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return int(response.status), {k.lower(): v for k, v in response.headers.items()}, response.read()


def _max_age(cache_control: str) -> int:
    found = re.search(r"max-age=(\d+)", cache_control)
    return int(found.group(1)) if found else 0


def test_production_serves_the_style_sheet_by_hashed_name_compressed_and_cached_for_good(
    clean_env: dict[str, str], tmp_path: Path,
) -> None:
    env = fresh_environment(clean_env, tmp_path)
    env.update({
        "DEFENSOR_MODE": "production",
        "DEFENSOR_SECRET_KEY": secrets.token_urlsafe(50),
        # Plain HTTP on loopback, as behind the onion service or a TLS proxy.
        "DEFENSOR_SSL_REDIRECT": "0",
    })
    port = free_port()
    server = serve_start(env, port)
    try:
        assert server.poll() is None, serve_stop(server)
        base = f"http://127.0.0.1:{port}"
        status, _, page = _get(f"{base}/request/")
        assert status == 200
        sheet = re.search(r'<link rel="stylesheet" href="(/static/defensor/app\.([0-9a-f]{12})\.css)">', page.decode())
        assert sheet, "the page names its style sheet by a hashed name"
        css_url, digest = sheet.groups()

        status, headers, body = _get(f"{base}{css_url}", **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("content-encoding") == "gzip"
        assert "accept-encoding" in headers.get("vary", "").lower()
        assert _max_age(headers.get("cache-control", "")) >= ONE_YEAR
        assert "immutable" in headers.get("cache-control", "")
        css = gzip.decompress(body)
        assert len(body) < len(css) / 2, "the style sheet travels at less than half its size"

        # The collected file, under the name the page gives, and its gzip variant beside it.
        collected = Path(env["DEFENSOR_DATA_DIR"]) / "static" / "defensor" / f"app.{digest}.css"
        assert css == collected.read_bytes()
        assert gzip.decompress((collected.parent / f"{collected.name}.gz").read_bytes()) == css
        assert b"font-family" in css

        # A browser that asks for no compression gets the same sheet, as it is.
        status, headers, plain = _get(f"{base}{css_url}", **{"Accept-Encoding": "identity"})
        assert status == 200
        assert plain == css
        assert "content-encoding" not in headers

        # The name without the hash is not cached for long: a new release must reach visitors.
        status, headers, _ = _get(f"{base}/static/defensor/app.css")
        assert status == 200
        assert _max_age(headers.get("cache-control", "")) < 3600
    finally:
        serve_stop(server)
