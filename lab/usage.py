"""What the user does with the derived credential once it is installed, per platform family:
sign in to the lab's relying party from a managed app (mutual TLS, the relying party validates
the chain and asks the issuer's OCSP responder), and on iOS send and read S/MIME mail (signed
with the derived signature key, encrypted to the current key-management certificate, and an old
message encrypted to an earlier key-management key opened from the key history).

Each use is one `Check` with the files it produced (written under the device's report folder).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.apps import AppAuthError, ManagedApp
from agent.device import Device
from agent.smime import IOS_MAIL_APP, SmimeError, SmimeMail, encrypt_message
from trust_store.errors import TrustStoreError

from .tenant_profiles import FAMILY, RP_APP


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    files: dict[str, bytes] = field(default_factory=dict)

    def to_json(self, paths: dict[str, str | None]) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "files": paths}


@dataclass(frozen=True)
class UsageContext:
    device: Device
    rp_url: str
    #: Trust anchors for the relying party's server certificate (the lab TLS root).
    anchors: tuple[Any, ...]


async def app_authentication(use: UsageContext) -> list[Check]:
    dev = use.device
    app_id = RP_APP[FAMILY[dev.platform.name]]
    dev.platform.install_managed_app(dev.store, app_id)
    app = ManagedApp(app_id, dev.store, list(use.anchors), dev.clock)
    try:
        who = await app.whoami(use.rp_url)
    except (AppAuthError, TrustStoreError) as e:
        return [Check("app-authentication", False, f"{app_id}: {e}")]
    return [
        Check(
            "app-authentication",
            True,
            f"{app_id} signed in to the relying party by mutual TLS as {who.get('upn')} "
            f"(certificate status {who.get('status')}, issuer {who.get('issuerName')})",
        )
    ]


async def smime_mail(use: UsageContext) -> list[Check]:
    dev = use.device
    mail = SmimeMail(dev.store, IOS_MAIL_APP, dev.clock)
    headers = {"From": dev.upn, "To": dev.upn, "Subject": "dcemu S/MIME check"}
    body = "Signed and encrypted with the derived credential.\n"
    checks = []
    try:
        signed = mail.sign(body, headers=headers)
        checks.append(
            Check(
                "smime-sign",
                True,
                f"signed with {mail.signing_identity().ref} (check: openssl cms -verify "
                "-CAfile trust/roots.pem -in <report>/devices/<id>/usage/signed.eml)",
                {"signed.eml": signed},
            )
        )
        encrypted = mail.encrypt(body, headers=headers)
        opened = mail.decrypt(encrypted)
        checks.append(
            Check(
                "smime-encrypt",
                opened.content.replace(b"\r\n", b"\n").endswith(body.encode()),
                f"encrypted to the current key-management certificate and opened with "
                f"{opened.identity.ref}",
                {"encrypted.eml": encrypted},
            )
        )
        earlier = [i for i in mail.key_history() if not i.current]
        if earlier:
            old = encrypt_message(
                "Mail from before the last key rollover.\n", [earlier[-1].cert], headers=headers
            )
            opened = mail.decrypt(old)
            checks.append(
                Check(
                    "smime-decrypt-history",
                    not opened.identity.current,
                    f"mail encrypted to the earlier key {earlier[-1].ref} opened from the "
                    f"key history ({len(mail.key_history())} key-management keys on the device)",
                    {"old-mail.eml": old},
                )
            )
    except (SmimeError, TrustStoreError) as e:
        checks.append(Check("smime", False, str(e)))
    return checks


Use = Callable[[UsageContext], Awaitable[list[Check]]]

#: The uses of the credential the lab exercises, per platform family (Intune's derived-credential
#: article: app authentication on iOS and Android, S/MIME on iOS; Windows uses it for Wi-Fi and
#: VPN only, which are the profiles themselves).
USES: dict[str, tuple[Use, ...]] = {
    "ios": (app_authentication, smime_mail),
    "android": (app_authentication,),
    "windows": (),
}


async def use_credential(use: UsageContext) -> list[Check]:
    checks: list[Check] = []
    for run in USES[FAMILY[use.device.platform.name]]:
        checks.extend(await run(use))
    return checks
