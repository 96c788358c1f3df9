"""An issuer, as the lab knows it: one plugin per issuer that holds everything the lab needs
(after smallstep's provisioners: one object per type carries all of its behaviour).

A plugin says:
- its device-side client (`client`, in `agent/issuers/`), hence Intune's name for it and who
  holds the keys (`client.custody`);
- the platforms it runs on (`platforms`; None: every platform of the matrix) and the notes the
  matrix prints beside a pair (`notes`);
- the networks a device needs to reach it (`networks`);
- its server settings from the environment (`settings_from_env`) and how its server starts
  (`start`); the server lives in `mock_issuers/`, which the client never imports;
- who must be seated at its desk before devices come (`seat_staff`: Purebred's registration
  agent), and what a device needs first (`prepare_device`: the managed Purebred app);
- the user whose devices enroll with it in the demo (`demo_user`).

Plugins register themselves by subclassing (declared at import). The lab makes one instance per
run (`Lab.start`), which holds that run's settings, endpoint and staff: nothing of a run lives in
a module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agent.device import Device, Narrator, quiet
from agent.http import Transport
from agent.issuers import IssuerClient
from mock_issuers.revocation import http_app
from mock_issuers.settings import PublicUrl
from mock_issuers.spec_parts import http_document
from servicekit.storage import MemoryStorage, Storage
from trust_store.clock import Clock
from trust_store.labpki import Hierarchy, LabPKI
from trust_store.randomness import Randomness

Serve = Callable[..., Awaitable[str]]


async def serve_revocation(serve: Serve, hierarchy: Hierarchy, name: str) -> str:
    """Serve `hierarchy`'s OCSP responder, CRL and issuing CA certificate on a plain-HTTP
    listener on loopback (kept as `<name>-http`), and make the certificates its issuing CA
    makes from now on point there (http:// CRL distribution point, AIA OCSP and caIssuers)."""
    doc = http_document(name, f"the certificates of {name}", f"{name}'s issuing CA")
    url = await serve(http_app(hierarchy, doc), None, name=f"{name}-http")
    hierarchy.issuing.urls.http_base = url
    return url


@dataclass
class ServerKit:
    """What an issuer's `start` gets from the lab: the PKI, the one clock, its random stream,
    the card authority's URL holder, a way to serve an app (it keeps the runner) and the lab's
    admin token (every server's `/admin/*` needs it)."""

    pki: LabPKI
    clock: Clock
    rand: Randomness
    card_authority_url: PublicUrl
    serve: Serve
    admin_token: str = field(repr=False, kw_only=True)
    #: The storage of a service of this run, by service name (memory, or SQLite under the
    #: lab's state directory).
    storage: Callable[[str], Storage] = field(default=lambda _name: MemoryStorage(), kw_only=True)

    async def serve_revocation(self, hierarchy: Hierarchy, name: str) -> str:
        """`serve_revocation` with this kit's `serve`."""
        return await serve_revocation(self.serve, hierarchy, name)


@dataclass(frozen=True)
class StaffContext:
    """What seating an issuer's desk needs: a transport, the card authority (which issues the
    staff their own PIV cards, an admin action), the lab's admin token and a random stream."""

    transport: Transport
    card_authority_url: str
    admin_token: str = field(repr=False)
    rand: Randomness

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


@dataclass(frozen=True)
class Endpoint:
    #: Where devices reach the issuer (its device API).
    device_url: str
    #: Where users sign in with their card (and Purebred's agents work).
    portal_url: str


class IssuerPlugin:
    name: ClassVar[str]
    client: ClassVar[type[IssuerClient]]
    #: Agent platform names it runs on; None: every platform of the matrix.
    platforms: ClassVar[frozenset[str] | None] = None
    #: Remarks a tester should read beside a pair's results, by agent platform name.
    notes: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: Networks a device must be on to reach the issuer (`DeviceSpec.networks` values).
    networks: ClassVar[tuple[str, ...]] = ()
    #: (name, UPN) of the person whose devices enroll with it in the demo (None: a stand-in).
    demo_user: ClassVar[tuple[str, str] | None] = None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            if cls.name in ISSUER_PLUGINS and ISSUER_PLUGINS[cls.name] is not cls:
                raise TypeError(f"issuer plugin {cls.name!r} is declared twice")
            for other in ISSUER_PLUGINS.values():
                if (
                    other.name != cls.name
                    and other.client.intune_issuer == cls.client.intune_issuer
                ):
                    raise TypeError(
                        f"issuer plugins {other.name!r} and {cls.name!r} both claim Intune's "
                        f"issuer {cls.client.intune_issuer!r} (a tenant has one issuer)"
                    )
            ISSUER_PLUGINS[cls.name] = cls

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._endpoint: Endpoint | None = None

    # --- what the plugin declares ---------------------------------------------------------------
    @property
    def display(self) -> str:
        return self.client.display

    @property
    def intune_issuer(self) -> str:
        return self.client.intune_issuer

    @classmethod
    def settings_from_env(cls, env: Mapping[str, str]) -> Any:
        """The server's settings from `DCEMU_*` variables (unset ones keep their defaults); a
        bad value raises the settings error of `mock_issuers.settings`."""
        raise NotImplementedError

    @classmethod
    def runs_on(cls, platform: str) -> bool:
        return cls.platforms is None or platform in cls.platforms

    # --- what the plugin does in a run -----------------------------------------------------------
    async def start(self, kit: ServerKit) -> Endpoint:
        """Start the issuer's server(s) on loopback."""
        raise NotImplementedError

    @property
    def endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise RuntimeError(f"the {self.name} server has not started")
        return self._endpoint

    def attach(self, endpoint: Endpoint) -> None:
        """Use an issuer started elsewhere (`dcemu serve`, or a tester's own service)."""
        self._endpoint = endpoint

    async def seat_staff(self, staff: StaffContext) -> None:
        """People the issuer needs at its desk before devices come (none by default)."""
        return None

    def prepare_device(self, device: Device, narrate: Narrator = quiet) -> None:
        """What a device needs before it can enroll (nothing by default)."""
        return None

    def make_client(self) -> IssuerClient:
        """The device-side client, configured with where the issuer is."""
        return self.client(self.endpoint.device_url)


#: Every issuer the lab knows, by name (filled by subclassing `IssuerPlugin`).
ISSUER_PLUGINS: dict[str, type[IssuerPlugin]] = {}


def plugin_class(name: str) -> type[IssuerPlugin]:
    try:
        return ISSUER_PLUGINS[name]
    except KeyError:
        raise KeyError(
            f"unknown issuer {name!r}; known: {', '.join(sorted(ISSUER_PLUGINS))}"
        ) from None


def run_settings(settings: Any, kit: ServerKit, **holders: PublicUrl) -> Any:
    """`settings` for this run: new public-URL holders and the lab's admin token (a frozen
    settings object read from the environment once may serve several runs)."""
    return dataclasses.replace(settings, admin_token=kit.admin_token, **holders)
