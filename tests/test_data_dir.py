"""The data directory: commands on one never migrated say what to run (no traceback), and an
existing one that others could read is made private when the server starts."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from django.apps import apps

from tests.serving import defensor, defensor_each, fresh_environment, open_to_others

# Realistic arguments for Defensor's own commands (any other is tried without arguments).
ARGUMENTS = {
    "deadlines": ["compute", "kas-298", "2022-05-25"],
    "audit": ["verify"],
    "createuser": ["misha", "--role", "volunteer"],
    "init": ["--admin", "lena"],
    "keys": ["rotate"],
    "recover": ["--admin", "lena"],
    "worker": ["--batch"],
}
MIGRATES_ITSELF = {"serve"}


@pytest.fixture
def fresh_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return fresh_environment(clean_env, tmp_path)


def _defensors_own_commands(help_text: str) -> list[str]:
    """The commands `defensor help` lists under Defensor's apps."""
    sections = {config.name.rpartition(".")[2] for config in apps.get_app_configs()
                if config.name.startswith("defensor.")}
    commands, section = [], ""
    for line in help_text.splitlines():
        heading = re.fullmatch(r"\[(\w+)\]", line.strip())
        if heading:
            section = heading.group(1)
        elif line.startswith("    ") and section in sections:
            commands.append(line.strip())
    return commands


def test_every_command_on_a_data_directory_never_migrated_says_what_to_run(fresh_env: dict[str, str]) -> None:
    listed = defensor(["help"], fresh_env)
    assert listed.returncode == 0, listed.stderr
    own = _defensors_own_commands(listed.stdout)
    assert {"deadlines", "audit", "createuser", "init", "worker"} <= set(own)
    database = Path(fresh_env["DEFENSOR_DATA_DIR"]) / "defensor.sqlite3"
    expected = f"The database {database} is not set up yet: run `defensor migrate` (or `make run`, which does it)."
    # One command as a user types it ...
    result = defensor(["audit", "verify"], fresh_env, stdin="")
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, expected, "")
    # ... and every one through the same entry point, in one process (not a Python start each).
    commands = [[c, *ARGUMENTS.get(c, [])] for c in own if c not in MIGRATES_ITSELF] + [["clearsessions"]]
    answers = defensor_each(commands, fresh_env)
    assert answers == {command[0]: [2, expected] for command in commands}
    # Help needs no database.
    assert defensor(["createuser", "--help"], fresh_env).returncode == 0
    # Once migrated, the same command answers.
    assert defensor(["migrate", "--noinput", "-v0"], fresh_env).returncode == 0
    computed = defensor(["deadlines", *ARGUMENTS["deadlines"]], fresh_env)
    assert computed.returncode == 0, computed.stderr
    assert computed.stdout.strip().endswith("2022-06-27")


def test_an_existing_data_directory_open_to_others_is_made_private_at_start(fresh_env: dict[str, str]) -> None:
    data_dir = Path(fresh_env["DEFENSOR_DATA_DIR"])
    # As an older version (or a restore from a backup) left it: serve tightens before it reads
    # anything, so the files need not be a real database and real static files.
    (data_dir / "static" / "defensor").mkdir(parents=True)
    (data_dir / "defensor.sqlite3").write_bytes(b"")
    css = data_dir / "static" / "defensor" / "app.css"
    css.write_text("body {}")
    data_dir.chmod(0o755)
    (data_dir / "defensor.sqlite3").chmod(0o644)
    (data_dir / "static").chmod(0o755)
    (data_dir / "static" / "defensor").chmod(0o700)
    css.chmod(0o644)
    (data_dir / "media" / "attachments").mkdir(parents=True, mode=0o755)
    (data_dir / "media").chmod(0o755)
    (data_dir / "media" / "attachments").chmod(0o755)
    assert len(open_to_others(data_dir)) == 6

    # serve makes it private first; here it then stops at a port another program holds.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = defensor(["serve", "--port", str(taken.getsockname()[1]), "--workers", "1"], fresh_env)
    assert result.returncode != 0
    assert f"Warning: 6 files or folders in {data_dir} were open to other users; they are private now" \
        in result.stderr
    assert not open_to_others(data_dir)
    assert (data_dir / "defensor.sqlite3").stat().st_mode & 0o777 == 0o600
    assert (data_dir / "media").stat().st_mode & 0o777 == 0o700
