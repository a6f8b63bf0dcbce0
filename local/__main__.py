"""``python -m local host|cloud|run|sweep``: the local host, the emulated cloud, the main job, a sweep."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "host": "local.host.cli",
        "cloud": "local.cloud.cli",
        "run": "local.run",
        "sweep": "local.sweep",
    }
    if not args or args[0] not in commands:
        print("usage: python -m local {host|cloud|run|sweep} [options]  (each takes --help)", file=sys.stderr)
        return 2
    import importlib

    module = importlib.import_module(commands[args[0]])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
