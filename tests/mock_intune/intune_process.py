"""Mock Intune alone in its own process, kept in a SQLite file, for the `kill -9` test:

    python -m tests.mock_intune.intune_process <database> <seed>

prints one JSON line (`url` and the Graph credentials), then serves on loopback until killed.
The clock stands still at the tests' start, so Graph tokens outlive a restart."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web

from mock_intune import GRAPH_APP, ServerSettings, create_app
from servicekit.storage import SqliteStorage
from servicekit.webapp import RUNNER_LIMITS
from trust_store.clock import ManualClock
from trust_store.randomness import Randomness

from ..conftest import ADMIN_TOKEN, START


async def main(database: Path, seed: int) -> None:
    settings = ServerSettings(admin_token=ADMIN_TOKEN)
    app = create_app(settings, ManualClock(START), Randomness(seed), SqliteStorage(database))
    runner = web.AppRunner(app, access_log=None, **RUNNER_LIMITS)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    graph = app[GRAPH_APP]
    line = {
        "url": f"http://{host}:{port}",
        "tokenPath": graph.token_path,
        "clientId": graph.client_id,
        "clientSecret": graph.client_secret,
    }
    print(json.dumps(line), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
