"""Settings seen from processes: the command line's answer to a bad setting and to --help, and first starts
racing to generate the storage secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import MIN_SECRET_LENGTH
from tests.support.ports import free_port


def test_concurrent_first_starts_share_one_secret(tmp_path: Path) -> None:
    """Several processes generating the secret at once all end up with the same one."""
    code = (
        "import sys; from app.config import load_settings; "
        "print(load_settings(data_dir=sys.argv[1]).resolved_storage_secret())"
    )
    env = {k: v for k, v in os.environ.items() if k != "CHAT_STORAGE_SECRET"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "data")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    secrets = {out.strip() for out, _ in outputs}
    assert len(secrets) == 1 and len(secrets.pop()) >= MIN_SECRET_LENGTH


def test_command_line_exits_2_on_bad_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env={"CHAT_HISTORY_LIMIT": "abc", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CHAT_HISTORY_LIMIT" in result.stderr
    assert "Traceback" not in result.stderr


def test_command_line_exits_2_on_a_bad_variable_that_a_flag_overrides(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        PORT="abc",
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
        CHAT_DATA_DIR=str(tmp_path / "data"),
        OTEL_SDK_DISABLED="true",
    )
    port = free_port()  # were it to serve anyway, on a free port (and the timeout ends it)
    result = subprocess.run(
        [sys.executable, "-m", "app", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("chat: invalid setting: PORT: ") and "'abc'" in line


def test_help_lists_the_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for flag in [
        "--host",
        "--port",
        "--reload",
        "--no-reload",
        "--db",
        "migrate",
        "check",
        "--create-db",
        "--migrate",
        "delete-message",
        "list-messages",
    ]:
        assert flag in result.stdout
