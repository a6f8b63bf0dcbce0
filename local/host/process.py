"""Start ``python -m local host`` as a subprocess for tests and scripts, wait until it serves, stop it by pid.

with HostProcess(app_dir, env={"AzureWebJobsStorage": conn}) as host:
    httpx.get(f"{host.base_url}/api/hello", params={"code": host.function_key})
    durable = f"{host.base_url}/runtime/webhooks/durabletask"
    httpx.get(f"{durable}/instances/{instance_id}", params={"code": host.durabletask_key})
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from local.azurite import REPO_ROOT, free_port
from local.host.errors import HostError
from local.host.settings import (
    DEFAULT_DURABLETASK_KEY,
    DEFAULT_EVENTGRID_KEY,
    DEFAULT_FUNCTION_KEY,
    DEFAULT_MASTER_KEY,
)


class HostProcessError(HostError):
    """The host subprocess exited or did not become ready."""


class HostProcess:
    """One ``python -m local host`` subprocess on a free port. Output goes to ``log_path``."""

    def __init__(
        self,
        app_dir: str | Path,
        *,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        time_factor: float | None = None,
        log_path: str | Path | None = None,
        startup_timeout: float = 60.0,
        start: bool = True,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.port = port or free_port()
        self.time_factor = time_factor
        self.startup_timeout = startup_timeout
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.master_key = self.env.get("FUNCTIONS_MASTER_KEY") or DEFAULT_MASTER_KEY
        self.function_key = self.env.get("FUNCTIONS_KEY") or DEFAULT_FUNCTION_KEY
        self.eventgrid_key = self.env.get("FUNCTIONS_EVENTGRID_KEY") or DEFAULT_EVENTGRID_KEY
        self.durabletask_key = self.env.get("FUNCTIONS_DURABLETASK_KEY") or DEFAULT_DURABLETASK_KEY
        default_log = REPO_ROOT / ".state" / "hosts" / f"host-{self.port}.log"
        self.log_path = Path(log_path) if log_path else default_log
        self.process: subprocess.Popen[bytes] | None = None
        if start:
            self.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def command(self) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "local",
            "host",
            "--app-dir",
            str(self.app_dir),
            "--port",
            str(self.port),
        ]
        if self.time_factor is not None:
            argv += ["--time-factor", str(self.time_factor)]
        return argv

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.command(),
                cwd=str(REPO_ROOT),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise HostProcessError(f"host exited with {self.process.returncode}: {self.log_tail()}")
            try:
                response = httpx.get(
                    f"{self.base_url}/admin/host/status",
                    headers={"x-functions-key": self.master_key},
                    timeout=1,
                )
                if response.status_code == 200 and response.json().get("state") == "Running":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise HostProcessError(f"host not ready within {self.startup_timeout}s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful: listeners stop, engine stops), then SIGKILL after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self) -> int | None:
        """SIGKILL by pid: the host gets no chance to clean up (crash tests)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=15)

    def __enter__(self) -> HostProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
