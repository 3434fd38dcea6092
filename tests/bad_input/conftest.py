"""Fixtures for bad-input stories: a loopback engine (pro plan), a client whose requests are
counted, the `ttsai` command as a user runs it, and folder snapshots to prove nothing changed."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.local import DEV_KEY, EngineConfig
from tests.faults.wire import LoopbackEngine, TaggingTransport, start_engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """No real user config, cache or environment leaks into a test."""
    for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL", "TTSAI_PLAN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TTSAI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("TTSAI_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def engine() -> LoopbackEngine:
    with start_engine(EngineConfig(keys={DEV_KEY: "pro"})) as eng:
        yield eng


@pytest.fixture
def wire() -> TaggingTransport:
    return TaggingTransport()


@pytest.fixture
def client(engine, wire) -> TTSAIClient:
    with TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro", transport=wire) as c:
        yield c


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its sha256: what 'nothing changed' means."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class CLIResult:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ttsai: error:")]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CLIResult:
    """``ttsai ARGS`` in a child process, as a user in a terminal would run it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_API")}
    out = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *args], cwd=ROOT,
                         env={**base, **(env or {})}, capture_output=True, text=True,
                         timeout=timeout)
    return CLIResult(out.returncode, out.stdout, out.stderr)


def assert_one_clear_line(result: CLIResult, *, code: int, secrets: tuple[str, ...] = ()) -> str:
    """A failed command: the expected exit code, one `ttsai: error:` line, no traceback."""
    assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.error_lines) == 1, result.stderr
    line = result.error_lines[0]
    assert "Unexpected" not in line, line
    for secret in secrets:
        assert secret not in result.stderr and secret not in result.stdout
    return line
