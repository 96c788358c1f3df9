"""Automatic re-key on the device (Intercede MyID): during a sync, the credential app asks the
issuer, over mutual TLS with the installed derived PIV Authentication credential, whether a
re-key is due ("expiry": within the issuer's window before notAfter; "subject-changed": the
person's DN or email changed). If it is, the device generates new keys, sends CSRs, and the new
identities replace the old ones in the same scope under the same references (profiles that use
the credential keep pointing at it). The issuer revokes the superseded certificates.

    result = await rekey_if_due(device, transport, issuers, narrate)

Never raises for what a tester should see as an outcome (no credential, issuer does not re-key,
not due, refused, chain invalid): the `RekeyResult` says which, with the problem kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from trust_store.errors import TrustStoreError
from trust_store.keys import PrivateKey, generate_key, load_private_key_pem, private_key_pem
from trust_store.oids import DERIVED_PIV_AUTH, EKU_EMAIL_PROTECTION
from trust_store.pkcs import KeyAndCert, split_leaf
from trust_store.stores import CertificateStore, CredentialRole, Identity

from .apps import NoCredentialError
from .device import Device, Narrator, quiet
from .enrollment import Event
from .errors import (
    AgentError,
    EnrollmentError,
    ServiceError,
    UnsupportedError,
    trust_failure_code,
)
from .est import device_csr
from .http import Transport, mtls_session
from .issuers import IssuerDirectory
from .issuers.rekey import RekeyAnswer, fetch_offer, send_rekey


class RekeyOutcome(StrEnum):
    NO_CREDENTIAL = "no-credential"
    #: The credential's issuer does not re-key automatically (Entrust, Purebred).
    NOT_OFFERED = "not-offered"
    NOT_DUE = "not-due"
    REKEYED = "rekeyed"
    FAILED = "failed"


@dataclass(frozen=True)
class RekeyResult:
    outcome: RekeyOutcome
    detail: str = ""
    #: Why the issuer re-keyed ("expiry", "subject-changed"), when it did or would.
    reason: str | None = None
    #: The failure's code (a problem kind such as `credential-revoked`, or an agent code).
    code: str | None = None
    #: References of the identities that were replaced.
    installed: tuple[str, ...] = field(default=())
    #: When the issuer will consider the credential due (NOT_DUE).
    rekey_at: dt.datetime | None = None

    @property
    def rekeyed(self) -> bool:
        return self.outcome is RekeyOutcome.REKEYED


async def rekey_if_due(
    device: Device,
    transport: Transport,
    issuers: IssuerDirectory,
    narrate: Narrator = quiet,
) -> RekeyResult:
    """Ask the installed credential's issuer whether a re-key is due and, if so, re-key."""
    app = device.credential_client(transport.anchors)
    try:
        current = app.identity()
    except NoCredentialError as e:
        return RekeyResult(RekeyOutcome.NO_CREDENTIAL, str(e))
    except AgentError as e:
        return _failed(device, narrate, e.code, str(e))
    issuer = issuers.get(current.issuer)
    if issuer is None:
        return _failed(
            device, narrate, "no-issuer", f"the issuer {current.issuer!r} is not configured here"
        )
    if not issuer.auto_rekey:
        return RekeyResult(RekeyOutcome.NOT_OFFERED, f"{current.issuer} does not re-key by itself")
    url = issuer.url
    try:
        session = mtls_session(app.ssl_context())
    except AgentError as e:
        return _failed(device, narrate, e.code, str(e))
    try:
        pending = _pending(device)
        if pending is not None:
            enrollment, keys = pending
            narrate(device, f"{issuer.display}: sending the interrupted re-key again")
        else:
            offer = await fetch_offer(transport, session, url)
            if not offer.due:
                return RekeyResult(RekeyOutcome.NOT_DUE, rekey_at=offer.rekey_at)
            narrate(
                device,
                f"{issuer.display}: re-key due ({offer.reason}; the credential ends "
                f"{offer.not_after:%Y-%m-%d}); new keys generated on the device "
                f"({device.platform.device_key.value})",
            )
            enrollment = offer.enrollment
            keys = {
                rekeyed_role(kind): generate_key(device.platform.device_key)
                for kind in offer.requests
            }
            _keep_pending(device, enrollment, keys)  # saved before it is sent
        answer = await send_rekey(
            transport, session, url, {role.value: device_csr(k) for role, k in keys.items()}
        )
        new = _replacements(device, current, enrollment, answer, keys)
        _validate(device, new)
    except ServiceError as e:
        if not e.transient:
            device.machine.data.pop(PENDING, None)  # refused for good: do not ask again
        return _failed(device, narrate, e.code, str(e))
    except AgentError as e:
        return _failed(device, narrate, e.code, str(e))
    except TrustStoreError as e:
        device.machine.data.pop(PENDING, None)
        return _failed(device, narrate, trust_failure_code(e), str(e))
    finally:
        await session.close()
    _swap(device.store, new)
    device.machine.data.pop(PENDING, None)
    if device.machine.can(Event.REKEYED):
        device.machine.fire(Event.REKEYED, answer.reason)
    device.save()
    narrate(
        device,
        f"{issuer.display} re-keyed {', '.join(r.value for r in keys)} ({answer.reason}); "
        f"superseded certificate(s) {', '.join(answer.revoked)} revoked; installed "
        f"{len(new)} identities in {current.scope}, chain validated",
    )
    return RekeyResult(
        RekeyOutcome.REKEYED,
        reason=answer.reason,
        installed=tuple(i.ref for i in new),
    )


#: Where a re-key whose answer has not arrived keeps its new keys (in the machine's data).
PENDING = "rekeyPending"


def _keep_pending(
    device: Device, enrollment: str, keys: Mapping[CredentialRole, PrivateKey]
) -> None:
    device.machine.data[PENDING] = {
        "enrollment": enrollment,
        "keys": {role.value: private_key_pem(k, device.kek).decode() for role, k in keys.items()},
    }
    device.save()


def _pending(device: Device) -> tuple[str, dict[CredentialRole, PrivateKey]] | None:
    doc = device.machine.data.get(PENDING)
    if not isinstance(doc, dict):
        return None
    keys = {
        CredentialRole(role): load_private_key_pem(pem.encode(), device.kek)
        for role, pem in doc["keys"].items()
    }
    return str(doc["enrollment"]), keys


def _failed(device: Device, narrate: Narrator, code: str, detail: str) -> RekeyResult:
    narrate(device, f"re-key FAILED ({code}): {detail}")
    return RekeyResult(RekeyOutcome.FAILED, detail, code=code)


def rekeyed_role(kind: str) -> CredentialRole:
    try:
        role = CredentialRole(kind)
    except ValueError:
        raise UnsupportedError(f"the issuer asks to re-key {kind!r}, unknown here") from None
    if role is CredentialRole.KEY_MANAGEMENT:
        raise UnsupportedError("key-management keys are the card's; they are not re-keyed")
    return role


def _replacements(
    device: Device,
    current: Identity,
    enrollment: str,
    answer: RekeyAnswer,
    keys: Mapping[CredentialRole, PrivateKey],
) -> list[Identity]:
    """One new identity per re-keyed role, with the old one's reference, label and scope."""
    new = []
    for role, key in keys.items():
        found = split_leaf(answer.certificates.get(role.value, []), key)
        if found is None:
            raise EnrollmentError(
                f"the re-key answer holds no {role.value} certificate for the new key"
            )
        leaf, cas = found
        old = _installed(device.store, current, role)
        ident = Identity.of(
            old.ref if old else f"{enrollment}-{role.value}".upper(),
            role,
            KeyAndCert(key, leaf, "", cas),
            current.scope,
            issuer=current.issuer,
            label=old.label if old else f"Derived credential ({role.value})",
        )
        ident.attrs.update(old.attrs if old else {})
        ident.attrs.update(rekeyReason=answer.reason, rekeyedFrom=old.thumbprint if old else "")
        new.append(ident)
    return new


def _installed(store: CertificateStore, current: Identity, role: CredentialRole) -> Identity | None:
    """The identity a re-key of `role` replaces: same scope, issuer and role, current."""
    if role is current.role:
        return current
    for ident in store.all_identities():
        if (ident.scope, ident.issuer, ident.role, ident.current) == (
            current.scope,
            current.issuer,
            role,
            True,
        ):
            return ident
    return None


def _validate(device: Device, identities: list[Identity]) -> None:
    """The chains must validate to a deployed root before anything is replaced."""
    now = device.clock.now()
    for ident in identities:
        if ident.role is CredentialRole.PIV_AUTH:
            device.store.validate(ident, now, policies=[DERIVED_PIV_AUTH])
        else:
            device.store.validate(ident, now, eku=EKU_EMAIL_PROTECTION)


def _swap(store: CertificateStore, identities: list[Identity]) -> None:
    refs = {i.ref for i in identities}
    roles = {i.role for i in identities}
    scope_issuer = {(i.scope, i.issuer) for i in identities}
    for old in store.all_identities():
        same_slot = old.role in roles and old.current and (old.scope, old.issuer) in scope_issuer
        if old.ref in refs or same_slot:
            store.remove_identity(old.ref)
    for ident in identities:
        store.add_identity(ident)
