"""``create_app(config) -> ASGI app``: the emulated Azure control plane (ARM at the root, admin API
under ``/_admin/``). Usable in process with ``httpx.ASGITransport(app)`` or served by uvicorn.

The returned ``ArmApp`` exposes ``.cloud`` (state, hooks, config) for in-process callers.
"""

from __future__ import annotations

from pathlib import Path

from . import eventgrid
from .admin import AdminApi
from .core import Cloud, CloudConfig
from .core.pipeline import ArmApp
from .providers import default_providers
from .seeding import apply_seed, parse_seed
from .snapshot import load, save


def create_app(
    config: CloudConfig | None = None,
    *,
    seed_file: Path | None = None,
    snapshot_file: Path | None = None,
) -> ArmApp:
    cloud = Cloud(config or CloudConfig())
    for provider in default_providers():
        cloud.install(provider)
    app = ArmApp(cloud)
    app.admin = AdminApi(app)
    eventgrid.mount(app)  # Event Grid topic endpoint + /_admin/eventgrid (SAS keys, not bearer tokens)
    if snapshot_file is not None and load(cloud, snapshot_file):
        seed_file = None  # a snapshot already holds the seeded tenant
    if seed_file is not None:
        text = seed_file.read_text()

        async def seed() -> None:
            await apply_seed(app, parse_seed(text))

        app.on_startup.append(seed)
    if snapshot_file is not None:
        path = snapshot_file
        app.on_shutdown.append(lambda: save(cloud, path))
    return app
