"""State snapshots (``--snapshot FILE``): loaded at start, saved on shutdown.

Pickle of the resource store, the providers' typed states and the emulated clock (a local file the
user names; never loaded from elsewhere). Operations still running when saving are completed first
(``scheduler.flush()``), so a restored emulator has no half-finished operations.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from .core import Cloud


def save(cloud: Cloud, path: Path) -> None:
    cloud.scheduler.flush()
    data = {
        "store": cloud.store,
        "states": cloud.provider_states,
        "epoch": cloud.clock.now(),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(pickle.dumps(data))
    tmp.replace(path)


def load(cloud: Cloud, path: Path) -> bool:
    if not path.exists():
        return False
    data = pickle.loads(path.read_bytes())  # noqa: S301 - our own snapshot file, named by the user
    cloud.store = data["store"]
    cloud.provider_states.clear()
    cloud.provider_states.update(data["states"])
    return True
