"""SP 800-157: a terminated card ends its derived credentials, by the card authority's
notification to the issuers or by the issuer's own periodic re-check of the card's status."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.apps import ManagedApp, RelyingPartyRefusedError
from agent.enrollment import State
from lab.matrix import supported
from lab.world import Lab
from trust_store.clock import ManualClock
from trust_store.pem import cert_pem
from trust_store.stores import CredentialRole

FIELD_APP = "com.corp.fieldapp"


async def _enrolled(lab: Lab) -> tuple[Any, Any, Any]:
    combo = next(c for c in supported() if c.id == "entrust-ios")
    setup = await lab.configure_tenant("entrust", families=("ios",))
    user = await lab.new_user("Alice Smith", "alice@corp.example")
    device = lab.new_device(combo.spec(user.upn))
    assert await lab.obtain_credential(device, user, "entrust") is State.COMPLETE
    return setup, user, device


async def _revoke_card(lab: Lab, card_uuid: object) -> dict[str, Any]:
    doc: dict[str, Any] = await lab.transport.json_object(
        "POST",
        f"{lab.servers.card_authority_url}/admin/cards/{card_uuid}/revoke",
        json={"reason": "keyCompromise"},
        headers=lab.admin_headers,
        during="revoke card",
    )
    return doc


async def _issued(lab: Lab) -> list[dict[str, Any]]:
    url = lab.servers.portal_urls["entrust"]
    doc = await lab.transport.json_object(
        "GET", f"{url}/admin/issued", headers=lab.admin_headers, during="issued"
    )
    return [i for i in doc["issued"] if i["cardUuid"] is not None]


async def test_a_card_revoked_at_the_card_authority_ends_its_derived_credentials(
    tmp_path: Path,
) -> None:
    async with Lab.start(issuers=("entrust",), clock=ManualClock(), seed=3) as lab:
        setup, user, device = await _enrolled(lab)
        device.platform.install_managed_app(device.store, FIELD_APP)
        app = ManagedApp(FIELD_APP, device.store, [lab.pki.tls_root.cert], lab.clock)
        assert (await app.whoami(lab.servers.rp_url))["upn"] == user.upn

        doc = await _revoke_card(lab, user.card.card_uuid)
        [told] = doc["notified"]
        assert told["outcome"] == "delivered" and told["revoked"]
        issued = await _issued(lab)
        assert issued and all(i["status"] == "revoked" for i in issued)
        assert {i["reason"] for i in issued} == {"cessationOfOperation"}

        with pytest.raises(RelyingPartyRefusedError) as e:
            await app.whoami(lab.servers.rp_url)
        assert e.value.status == 403
        assert e.value.code == "credential-revoked"

        [ident] = device.store.identities(device.platform.credential_app, CredentialRole.PIV_AUTH)
        if shutil.which("openssl"):
            from tests.openssl_cli import run_openssl

            leaf, ca = tmp_path / "leaf.pem", tmp_path / "ca.pem"
            leaf.write_bytes(cert_pem(ident.cert))
            issuer = next(c for c in ident.chain if c.subject == ident.cert.issuer)
            ca.write_bytes(cert_pem(issuer))
            from trust_store.ocsp import ocsp_url

            url = ocsp_url(ident.cert)
            assert url is not None
            _rc, out = await run_openssl(
                "ocsp", "-issuer", str(ca), "-cert", str(leaf), "-url", url,
                "-CAfile", str(ca), "-no_nonce",
            )  # fmt: skip
            assert ": revoked" in out, out

        # The next sync: the credential app finds the credential revoked and Intune's device
        # statuses show the Wi-Fi profile failed.
        await lab.obtain_credential(device, user, "entrust")  # one more sync
        wifi = setup.profile(device.platform.name, "wifi")
        statuses = await lab.admin.graph(
            "GET",
            f"/deviceManagement/deviceConfigurations/{wifi['id']}/deviceStatuses",
            during="statuses",
        )
        assert statuses["value"], statuses
        assert all(s["status"] == "error" for s in statuses["value"]), statuses


async def test_the_periodic_recheck_alone_revokes_after_the_interval() -> None:
    async with Lab.start(issuers=("entrust",), clock=ManualClock(), seed=4) as lab:
        _, user, _device = await _enrolled(lab)
        lab.servers.card_authority_notify.set([])  # notification off: nobody to tell
        doc = await _revoke_card(lab, user.card.card_uuid)
        assert doc["notified"] == []
        lab.clock.advance(dt.timedelta(days=6))
        assert all(i["status"] == "good" for i in await _issued(lab))
        lab.clock.advance(dt.timedelta(days=1, seconds=1))
        issued = await _issued(lab)  # this request runs the re-check first
        assert issued and all(i["status"] == "revoked" for i in issued)
