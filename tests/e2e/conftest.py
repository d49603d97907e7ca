"""What every end-to-end test shares: a moto_server account reached with fake credentials, and
the real `annexa` command run as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from fakes.aws import credentials_env, only_these_aws_variables, subprocess_env

ANNEXA = str(Path(sys.executable).with_name("annexa"))

RunAnnexa = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def aws_cli_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An empty moto_server account that this process (to seed it) and `annexa` subprocesses (the
    returned environment) reach with fake credentials."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    aws = credentials_env(moto_endpoint)
    only_these_aws_variables(monkeypatch, aws)
    return subprocess_env(aws)


@pytest.fixture
def run_annexa() -> RunAnnexa:
    """`run_annexa(env, cwd, *args)`: the installed `annexa` command, its output captured."""

    def run(env: dict[str, str], cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ANNEXA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)

    return run
