"""Key custody: who generates and holds the derived credential's keys, as a strategy the
credential app's steps call, not a flag they branch on.

- `DeviceKeyCustody`: the credential app generates the keys on the device (persisted, encrypted,
  in the enrollment's data before any request is sent), asks the issuer for a certificate per
  key (EST `simpleenroll`), receives the key-management history as PKCS#12 and installs
  everything in the platform store. Entrust and Intercede.
- A companion app's custody (`agent.issuers.purebred.CompanionAppCustody`): the issuer's own app
  generates and holds the keys and hands them over to the credential app. DISA Purebred.

Each method runs within one state of the enrollment machine and returns what the machine
carries to the next one; whatever a custody holds between steps is persisted with the device.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.keys import generate_key, load_private_key_pem, private_key_pem
from trust_store.pkcs import KeyAndCert, split_leaf
from trust_store.stores import CredentialRole, Identity

from .errors import EnrollmentError
from .est import EST_LABELS, device_csr

if TYPE_CHECKING:
    from .issuers.base import Activation, FlowContext, IssuerClient


class KeyCustody(ABC):
    @abstractmethod
    async def generate_keys(self, issuer: IssuerClient, ctx: FlowContext) -> tuple[str, dict[str, Any]]:
        """Leaving `activated`: a narration and the data `keys-generated` carries."""

    @abstractmethod
    async def obtain_certificates(
        self, issuer: IssuerClient, ctx: FlowContext, activation: Activation
    ) -> tuple[str, dict[str, Any]]:
        """Leaving `keys-generated`: a narration and the data `certificates-issued` carries."""

    @abstractmethod
    def install(self, issuer: IssuerClient, ctx: FlowContext) -> list[Identity]:
        """Leaving `certificates-issued`: put the credential in the platform store, replacing
        the previous one in the same scope; the identities installed."""


def clear_scope(ctx: FlowContext) -> None:
    """A new credential replaces the previous one (renewal, or a new issuer)."""
    store = ctx.device.store
    scope = ctx.device.platform.credential_scope
    for old in store.all_identities():
        if old.scope == scope:
            store.remove_identity(old.ref)


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _cert(b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(b64))


class DeviceKeyCustody(KeyCustody):
    """The credential app makes and keeps the keys on the device."""

    async def generate_keys(
        self, issuer: IssuerClient, ctx: FlowContext
    ) -> tuple[str, dict[str, Any]]:
        dev = ctx.device
        alg = dev.platform.device_key
        kek = dev.kek
        keys = {
            kind: private_key_pem(generate_key(alg), kek).decode()
            for kind in dev.machine.data.get("requests", [])
            if kind in EST_LABELS
        }
        return f"generated {len(keys)} key pair(s) on the device ({alg.value})", {"keys": keys}

    async def obtain_certificates(
        self, issuer: IssuerClient, ctx: FlowContext, activation: Activation
    ) -> tuple[str, dict[str, Any]]:
        dev = ctx.device
        m = dev.machine
        issued: dict[str, list[str]] = dict(m.data.get("issued", {}))
        for kind, pem in m.data["keys"].items():
            if kind in issued:
                continue  # resumed after a crash: this one already arrived
            key = load_private_key_pem(pem.encode(), dev.kek)
            certs = await issuer.simple_enroll(ctx, activation, kind, device_csr(key))
            issued[kind] = [_b64(c) for c in certs]
            m.data["issued"] = issued
            dev.save()
        history = []
        if "keyManagement" in activation.requests:
            password = dev.secret("key-history-p12")
            for kc, current in await issuer.key_history(ctx, activation, password):
                history.append(
                    {
                        "key": private_key_pem(kc.key, dev.kek).decode(),
                        "cert": _b64(kc.cert),
                        "chain": [_b64(c) for c in kc.cas],
                        "current": current,
                        "name": kc.friendly_name,
                    }
                )
        story = f"{issuer.display} issued {', '.join(issued)}" + (
            f" and {len(history)} key-management key(s) as PKCS#12" if history else ""
        )
        return story, {"issued": issued, "keyHistory": history}

    def install(self, issuer: IssuerClient, ctx: FlowContext) -> list[Identity]:
        dev = ctx.device
        m = dev.machine
        scope = dev.platform.credential_scope
        enrollment = m.data["enrollment"]
        new: list[Identity] = []
        for kind, ders in m.data["issued"].items():
            key = load_private_key_pem(m.data["keys"][kind].encode(), dev.kek)
            found = split_leaf([_cert(d) for d in ders], key)
            if found is None:
                raise EnrollmentError(
                    f"the {kind} response holds no certificate for the device's key"
                )
            leaf, cas = found
            new.append(
                Identity.of(
                    f"{enrollment}-{kind}".upper(),
                    CredentialRole(kind),
                    KeyAndCert(key, leaf, "", cas),
                    scope,
                    issuer=issuer.name,
                    label=f"Derived credential ({kind})",
                )
            )
        for i, item in enumerate(m.data.get("keyHistory", [])):
            kc = KeyAndCert(
                load_private_key_pem(item["key"].encode(), dev.kek),
                _cert(item["cert"]),
                item["name"] or f"Key management {i}",
                tuple(_cert(c) for c in item["chain"]),
            )
            new.append(
                Identity.of(
                    f"{enrollment}-KM{i}".upper(),
                    CredentialRole.KEY_MANAGEMENT,
                    kc,
                    scope,
                    issuer=issuer.name,
                    current=bool(item["current"]),
                )
            )
        clear_scope(ctx)
        for ident in new:
            dev.store.add_identity(ident)
        for k in ("keys", "issued", "keyHistory"):
            m.data.pop(k, None)
        return new
