"""``python -m local cloud --port PORT [--seed FILE] [--time-factor F] [--snapshot FILE]``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .core import CloudConfig


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local cloud", description="Emulated Azure control plane (ARM)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--seed", type=Path, help="YAML/JSON tenant description (see local/cloud/seeding.py)")
    parser.add_argument("--time-factor", type=float, default=1.0, help="emulated time runs F times faster")
    parser.add_argument(
        "--retry-after", type=int, default=None, help="Retry-After seconds advertised on LROs"
    )
    parser.add_argument("--throttling", action="store_true", help="enable ARM token-bucket throttling")
    parser.add_argument("--snapshot", type=Path, help="load state from FILE at start, save it on shutdown")
    parser.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", type=Path, help="private key for --certfile")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    import uvicorn

    from .app import create_app

    config = CloudConfig(time_factor=args.time_factor, throttling=args.throttling)
    if args.retry_after is not None:
        config.retry_after_seconds = args.retry_after
    logging.basicConfig(level=args.log_level.upper())
    app = create_app(config, seed_file=args.seed, snapshot_file=args.snapshot)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        timeout_keep_alive=75,  # longer than any client pool keeps idle connections (no reset races)
        ssl_certfile=str(args.certfile) if args.certfile else None,
        ssl_keyfile=str(args.keyfile) if args.keyfile else None,
    )
    return 0
