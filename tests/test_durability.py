"""Once we said we received it, we have it: a real server is killed with SIGKILL several times
while people write; every receipt a client received is stored and opens, and nothing is half
stored. (Small and bounded here; `make bench` runs it longer.) On SQLite, and on PostgreSQL when
the suite runs against it (in a database of its own, made and dropped here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bench.intake import run_with_kills


@pytest.fixture
def server_database_url() -> Iterator[str | None]:
    base = os.environ.get("DATABASE_URL")
    if not base:
        yield None
        return
    import psycopg

    name = f"defensor_durability_{os.getpid()}"
    admin = urlsplit(base)
    with psycopg.connect(admin._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin._replace(path="/postgres").geturl(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.timeout(240)
def test_no_acknowledged_submission_is_lost_when_the_server_is_killed(server_database_url: str | None) -> None:
    result = run_with_kills(duration=12, kills=3, database_url=server_database_url)
    assert result["acknowledged"] > 0, result  # people did get through between the kills
    assert result["lost_acknowledged"] == 0, result
    assert result["partial_submissions"] == 0, result
    assert result["stored"] >= result["acknowledged"], result
