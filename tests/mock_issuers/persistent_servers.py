"""A process that runs the card authority and Entrust on SQLite under a state directory, for the
`kill -9` tests: `python -m tests.mock_issuers.persistent_servers STATE_DIR SEED`.

It keeps its ports in `STATE_DIR/ports.json` (a restart answers at the same URLs, including the
OCSP URLs written into the certificates), writes the lab TLS root to `STATE_DIR/tls-root.pem`,
prints one JSON line with the URLs once it listens, and serves until it is killed."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from mock_issuers import card_authority, issuer_app, serving
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from servicekit.storage import SqliteStorage
from trust_store.clock import SystemClock
from trust_store.labpki import LabPKI
from trust_store.pem import cert_pem
from trust_store.randomness import Randomness

ADMIN_TOKEN = "kill-nine-admin-token-0123456789"
ISSUER = "entrust"


async def main(state: Path, seed: int) -> None:
    clock, rand = SystemClock(), Randomness(seed)
    pki = LabPKI.create(clock, rand, (ISSUER,), state)
    ports_file = state / "ports.json"
    ports: dict[str, int] = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    ca_settings = CardAuthoritySettings(escrow_clients=frozenset({ISSUER}), admin_token=ADMIN_TOKEN)
    ca_app = card_authority.create_app(
        ca_settings,
        pki,
        clock,
        rand.child("card-authority"),
        SqliteStorage(state / "card-authority.sqlite3"),
    )
    _, ca_url = await serving.serve(
        ca_app, card_authority.server_ssl_context(pki), port=ports.get("card-authority", 0)
    )
    settings = IssuerSettings(card_authority_url=ca_settings.public_url, admin_token=ADMIN_TOKEN)
    app = issuer_app.create_app(
        ISSUER, settings, pki, clock, rand.child(ISSUER), SqliteStorage(state / f"{ISSUER}.sqlite3")
    )
    _, url = await serving.serve(
        app, issuer_app.server_ssl_context(pki, ISSUER), port=ports.get(ISSUER, 0)
    )
    ports = {"card-authority": int(ca_url.rsplit(":", 1)[1]), ISSUER: int(url.rsplit(":", 1)[1])}
    ports_file.write_text(json.dumps(ports))
    (state / "tls-root.pem").write_bytes(cert_pem(pki.tls_root.cert))
    print(json.dumps({"card-authority": ca_url, ISSUER: url}), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
