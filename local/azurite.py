"""Start and stop Azurite (npm package ``azurite``, installed into the repository by ``make setup``).

Every process is started with loopback-only listeners, telemetry off and its data folder inside the ignored
``.state/`` directory, and is stopped by the process id this module started. Nothing is ever killed by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from azure.core.pipeline.transport import AioHttpTransport

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".state"

# The well-known development account Azurite serves (public, documented, not a secret).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(RuntimeError):
    """Azurite could not be found or did not start."""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: every socket stays bound until all are chosen (ports chosen one at a
    time may repeat: two of Azurite's three once did, and it exited with EADDRINUSE)."""
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)
        ]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def connection_string(blob_port: int, queue_port: int, table_port: int, host: str = "127.0.0.1") -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"BlobEndpoint=http://{host}:{blob_port}/{DEV_ACCOUNT};"
        f"QueueEndpoint=http://{host}:{queue_port}/{DEV_ACCOUNT};"
        f"TableEndpoint=http://{host}:{table_port}/{DEV_ACCOUNT};"
    )


def expand_connection_string(value: str) -> str:
    """``UseDevelopmentStorage=true`` means Azurite on its default ports, as the real host reads it."""
    if value.strip().rstrip(";").lower() == "usedevelopmentstorage=true":
        return connection_string(10000, 10001, 10002)
    return value


def connection_parts(conn_str: str) -> dict[str, str]:
    """The ``Key=value`` settings of a storage connection string (``UseDevelopmentStorage`` expanded)."""
    return dict(p.split("=", 1) for p in expand_connection_string(conn_str).split(";") if "=" in p)


def endpoints(conn_str: str) -> dict[str, str]:
    return {k: v for k, v in connection_parts(conn_str).items() if k.endswith("Endpoint")}


def table_endpoint(parts: dict[str, str]) -> str:
    """The Table service endpoint a connection string names, or Azure's for its account."""
    if "TableEndpoint" in parts:
        return parts["TableEndpoint"]
    protocol = parts.get("DefaultEndpointsProtocol", "https")
    suffix = parts.get("EndpointSuffix", "core.windows.net")
    return f"{protocol}://{parts['AccountName']}.table.{suffix}"


def is_reachable(conn_str: str, timeout: float = 0.5) -> bool:
    """True when every endpoint of the connection string accepts a TCP connection."""
    from urllib.parse import urlsplit

    eps = endpoints(conn_str)
    if not eps:
        return False
    for url in eps.values():
        parsed = urlsplit(url)
        try:
            address = (parsed.hostname or "127.0.0.1", parsed.port or 80)
            with socket.create_connection(address, timeout=timeout):
                pass
        except OSError:
            return False
    return True


def azurite_binary() -> Path:
    candidate = REPO_ROOT / "node_modules" / ".bin" / "azurite"
    if candidate.exists():
        return candidate
    raise AzuriteError(f"Azurite is not installed at {candidate}: run `make setup` (npm install) first")


@dataclass
class AzuriteProcess:
    """A running Azurite this process started. Stop it with :meth:`stop` (by its pid, never by name)."""

    process: subprocess.Popen[bytes]
    blob_port: int
    queue_port: int
    table_port: int
    location: Path
    log_path: Path

    @property
    def connection_string(self) -> str:
        return connection_string(self.blob_port, self.queue_port, self.table_port)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        # Azurite runs in its own process group (start_new_session): signal exactly that group.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def sdk_transport() -> AioHttpTransport:
    """The Azure SDK's aiohttp transport without environment lookups, for clients of Azurite: with them it
    reads the proxy variables and ``~/.netrc`` on every request (in a worker thread; 2 % of the local host's
    CPU in a protection burst's profile). Azurite answers on loopback, which no proxy serves."""
    return AioHttpTransport(use_env_settings=False)


def start(
    name: str = "default",
    *,
    blob_port: int | None = None,
    queue_port: int | None = None,
    table_port: int | None = None,
    fresh: bool = False,
    in_memory: bool = False,
    startup_timeout: float = 30.0,
) -> AzuriteProcess:
    """Start Azurite with data under ``.state/azurite/<name>`` and wait until it accepts connections.

    ``in_memory``: ``--inMemoryPersistence``, nothing written to disk (the data lives as long as this
    Azurite process; hosts may still be killed and restarted against it; the folder holds only the log).
    ``tests/bench/azurite_cost.py`` measures what it saves per storage transaction.
    """
    binary = azurite_binary()
    location = STATE_DIR / "azurite" / name
    if fresh and location.exists():
        shutil.rmtree(location)
    location.mkdir(parents=True, exist_ok=True)
    given = (blob_port, queue_port, table_port)
    chosen = iter([p for p in free_ports(6) if p not in given])  # distinct, and never a port already given
    ports = (blob_port or next(chosen), queue_port or next(chosen), table_port or next(chosen))
    log_path = location / "azurite.log"
    args = [
        str(binary),
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
        *(["--inMemoryPersistence"] if in_memory else ["--location", str(location)]),
        "--blobHost",
        "127.0.0.1",
        "--queueHost",
        "127.0.0.1",
        "--tableHost",
        "127.0.0.1",
        "--blobPort",
        str(ports[0]),
        "--queuePort",
        str(ports[1]),
        "--tablePort",
        str(ports[2]),
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed binary from node_modules, arguments built here
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    running = AzuriteProcess(process, *ports, location=location, log_path=log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AzuriteError(f"Azurite exited with {process.returncode}; see {log_path}")
        if is_reachable(running.connection_string, timeout=0.2):
            return running
        time.sleep(0.1)
    running.stop()
    raise AzuriteError(f"Azurite did not accept connections within {startup_timeout}s; see {log_path}")
