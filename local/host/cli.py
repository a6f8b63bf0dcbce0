"""``python -m local host --app-dir DIR --port PORT [--time-factor F]``: serve a v2 function app locally."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from local import azurite
from local.app_loader import AppLoadError, load_app
from local.durable.rpc import KEEP_ALIVE_SECONDS
from local.host import logs
from local.host.errors import HostError
from local.host.settings import (
    DEFAULT_DURABLETASK_KEY,
    DEFAULT_EVENTGRID_KEY,
    DEFAULT_FUNCTION_KEY,
    DEFAULT_MASTER_KEY,
    Settings,
)
from local.host.storage import ensure_storage

log = logging.getLogger("local.host")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local host", description=__doc__)
    parser.add_argument("--app-dir", default=".", help="directory holding function_app.py and host.json")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default loopback only)")
    parser.add_argument(
        "--time-factor",
        type=float,
        default=None,
        help="run durable time this many times faster than real time (a task hub keeps its timeline)",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def _key_line(name: str, value: str, default: str) -> str:
    """Which key is in use, never the key itself (Core Tools lists function URLs without their keys)."""
    source = "local default (documented in local/host/__init__.py)" if value == default else "from settings"
    return f"  {name}: {source}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logs.configure(getattr(logging, str(args.log_level).upper(), logging.INFO))
    app_dir = Path(args.app_dir).resolve()
    started_azurite: azurite.AzuriteProcess | None = None
    try:
        settings = Settings.load(app_dir)
        for name in settings.skipped_from_file:
            log.info("Skipping '%s' from local settings as it's already defined in the environment", name)
        settings.export()
        started_azurite = ensure_storage(settings.storage_connection_string)
        app = load_app(app_dir)
        from local.host.server import Host  # after settings export: the app may read settings when loaded

        base_url = f"http://{'127.0.0.1' if args.bind in ('0.0.0.0', '::') else args.bind}:{args.port}"
        host = Host(app, settings, base_url=base_url, time_factor=args.time_factor)
    except (HostError, AppLoadError, azurite.AzuriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if started_azurite is not None:
            started_azurite.stop()
        return 1
    try:
        print(f"Functions in {app_dir}:", file=sys.stderr)
        for line in host.describe():
            print(f"  {line}", file=sys.stderr)
        print("Keys:", file=sys.stderr)
        print(_key_line("FUNCTIONS_KEY", settings.function_key, DEFAULT_FUNCTION_KEY), file=sys.stderr)
        print(_key_line("FUNCTIONS_MASTER_KEY", settings.master_key, DEFAULT_MASTER_KEY), file=sys.stderr)
        print(
            _key_line("FUNCTIONS_EVENTGRID_KEY", settings.eventgrid_key, DEFAULT_EVENTGRID_KEY),
            file=sys.stderr,
        )
        if host.engine is not None:
            print(
                _key_line("FUNCTIONS_DURABLETASK_KEY", settings.durabletask_key, DEFAULT_DURABLETASK_KEY),
                file=sys.stderr,
            )
        return _serve(host, args.bind, args.port)
    finally:
        if started_azurite is not None:
            started_azurite.stop()


def _serve(host: object, bind: str, port: int) -> int:
    import uvicorn

    from local.host.server import Host

    class Server(uvicorn.Server):
        """Stop gracefully on SIGINT/SIGTERM and return, instead of re-raising the signal after shutdown
        (uvicorn's default), so the caller still stops the Azurite it started and exits 0."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    assert isinstance(host, Host)
    config = uvicorn.Config(
        host.asgi(),
        host=bind,
        port=port,
        log_config=None,
        lifespan="on",
        access_log=False,
        # Longer than the clients' pools keep idle connections (aiohttp 15 s, httpx 5 s): a server that closes
        # first races a client reusing the connection, which then sees a reset it cannot tell from a crash.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = Server(config)
    # Bound before the lifespan starts the durable engine: its RPC listener takes an ephemeral port, which
    # could otherwise be the very port this host was told to serve on (then its own bind fails).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((bind, port))
    except OSError as exc:
        sock.close()
        print(f"error: cannot listen on {bind}:{port}: {exc}", file=sys.stderr)
        return 1
    server.run(sockets=[sock])
    if not server.started:
        print("error: the host did not start (see the log above)", file=sys.stderr)
        return 1
    return 0
