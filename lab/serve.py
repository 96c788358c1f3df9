"""`dcemu serve`: the mock services as long-running HTTPS servers in one process.

The card authority, the chosen issuers, mock Intune and the relying party start on loopback and
stay up until SIGINT or SIGTERM. Everything a restart must keep lives in the state directory:

- `ports.json`: each service's port, chosen once (a restart keeps every URL, including the OCSP
  and CRL URLs already written into issued certificates);
- `clock.json`: the lab clock's offset from real time (`POST /admin/time` on any service moves
  the one clock of the whole lab);
- `pki/`: the lab PKI's keys (0600);
- `<service>.sqlite3`: each service's state, where the service keeps it (`servicekit.storage`);
- `trust/`: the lab TLS root and the derived-credential roots, for clients;
- `lab.json`: where everything is and the tokens (`lab.labfile`), written at every start.

Without `--state-dir`, a fresh temporary directory is used (and the command says so).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trust_store.clock import OffsetClock
from trust_store.labpki import LabPKI
from trust_store.pem import certs_pem
from trust_store.randomness import Randomness

from .issuers import ISSUER_PLUGINS, plugin_class
from .labfile import (
    CARD_AUTHORITY,
    INTUNE,
    RELYING_PARTY,
    GraphClient,
    LabFile,
    LabFileError,
    Service,
)
from .ports import PortBook
from .servers import LabServers
from .settings import LabSettings

Echo = Callable[[str], None]


def clock_for(state_dir: Path) -> OffsetClock:
    """The lab clock: real time plus the offset kept in `clock.json`."""
    path = state_dir / "clock.json"
    try:
        offset = dt.timedelta(seconds=float(json.loads(path.read_text())["offsetSeconds"]))
    except FileNotFoundError:
        offset = dt.timedelta(0)

    def keep(new: dt.timedelta) -> None:
        path.write_text(json.dumps({"offsetSeconds": new.total_seconds()}) + "\n")

    return OffsetClock(offset, keep)


@dataclass
class ServeOptions:
    state_dir: Path | None = None
    issuers: tuple[str, ...] = ()
    seed: int | None = None
    settings: LabSettings = field(default_factory=LabSettings)


@dataclass
class RunningLab:
    servers: LabServers
    labfile: LabFile
    state_dir: Path


async def start_lab(options: ServeOptions, echo: Echo = print) -> RunningLab:
    state_dir = options.state_dir
    if state_dir is None:
        state_dir = Path(tempfile.mkdtemp(prefix="dcemu-serve-"))
        echo(f"no --state-dir: using {state_dir} (state is lost when it is deleted)")
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = options.issuers or tuple(ISSUER_PLUGINS)
    settings = _keep_admin_token(options.settings, state_dir)
    plugins = [plugin_class(n)(settings.issuer(n)) for n in names]
    clock = clock_for(state_dir)
    rand = Randomness(options.seed)
    pki = LabPKI.create(clock, rand, names, state_dir)
    servers = LabServers(
        pki,
        clock,
        rand,
        settings,
        ports=PortBook.open(state_dir / "ports.json"),
        state_dir=state_dir,
    )
    await servers.start(plugins)
    return RunningLab(servers, write_labfile(servers, state_dir), state_dir)


def _keep_admin_token(settings: LabSettings, state_dir: Path) -> LabSettings:
    """A restart keeps the admin token clients already hold (from the lab.json it wrote),
    unless DCEMU_ADMIN_TOKEN sets one."""
    if settings.admin_token:
        return settings
    try:
        token = LabFile.read(state_dir / "lab.json").admin_token
    except LabFileError:
        return settings
    return dataclasses.replace(settings, admin_token=token)


def write_labfile(servers: LabServers, state_dir: Path) -> LabFile:
    trust = state_dir / "trust"
    trust.mkdir(exist_ok=True)
    tls_root = trust / "tls-root.pem"
    tls_root.write_bytes(certs_pem([servers.pki.tls_root.cert]))
    derived = trust / "derived-roots.pem"
    derived.write_bytes(certs_pem([h.root.cert for h in servers.pki.derived.values()]))
    (trust / "piv-root.pem").write_bytes(certs_pem([servers.pki.piv.root.cert]))
    services = {
        CARD_AUTHORITY: Service(servers.card_authority_url, "card-authority"),
        INTUNE: Service(servers.intune_url, "intune"),
        RELYING_PARTY: Service(servers.rp_url, "relying-party"),
    }
    for name, plugin in servers.issuers.items():
        root = trust / f"derived-{name}-root.pem"
        root.write_bytes(certs_pem([servers.pki.derived[name].root.cert]))
        extra: dict[str, Any] = {
            "intuneIssuer": plugin.intune_issuer,
            "portalUrl": plugin.endpoint.portal_url,
            "derivedRoot": str(root.relative_to(state_dir)),
        }
        services[name] = Service(plugin.endpoint.device_url, "issuer", extra)
    graph = servers.graph
    graph_client = None
    if graph is not None:
        graph_client = GraphClient(
            graph.tenant_id,
            graph.client_id,
            graph.client_secret,
            f"{servers.intune_url}{graph.token_path}",
        )
    labfile = LabFile(services, tls_root, derived, servers.admin_token, graph_client)
    labfile.write(state_dir / "lab.json")
    return labfile


def describe(lab: RunningLab) -> list[str]:
    """`lab.json` as a table a person reads."""
    lf = lab.labfile
    rows = [f"dcemu serve: state in {lab.state_dir}", ""]
    width = max(len(n) for n in lf.services) + 2
    for name, svc in lf.services.items():
        portal = svc.extra.get("portalUrl")
        more = f"  (portal {portal})" if portal and portal != svc.url else ""
        rows.append(f"  {name:<{width}}{svc.url}{more}")
    rows += [
        "",
        f"  TLS root            {lf.tls_root}",
        f"  derived roots       {lf.derived_roots}",
        f"  admin token         {lf.admin_token}",
    ]
    if lf.graph is not None:
        rows += [
            f"  Graph tenant        {lf.graph.tenant}",
            f"  Graph client id     {lf.graph.client_id}",
            f"  Graph client secret {lf.graph.client_secret}",
            f"  Graph token URL     {lf.graph.token_url}",
        ]
    rows += ["", f"  lab.json            {lab.state_dir / 'lab.json'}", "", "Ctrl-C stops."]
    return rows


async def serve_until_stopped(options: ServeOptions, echo: Echo = print) -> int:
    lab = await start_lab(options, echo)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for line in describe(lab):
            echo(line)
        await stop.wait()
        echo("dcemu serve: stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await lab.servers.stop()
    return 0
