"""What the user does on a device to get a derived credential, as the lab and `dcemu enroll`
both run it."""

from __future__ import annotations

from agent.credential_app import CredentialApp
from agent.device import Narrator, quiet
from agent.enrollment import State
from agent.user import User, Workstation

from .issuers import IssuerPlugin


async def obtain(
    app: CredentialApp,
    plugin: IssuerPlugin,
    user: User,
    narrate: Narrator = quiet,
    *,
    steps: int | None = None,
) -> State:
    """Company Portal / the Intune app when Intune asks (iOS, Android), or the provider's app
    the user installs (Windows); an issuer that needs an app of its own on the device
    (Purebred) has Intune deploy it first. `steps` stops after that many steps of the
    enrollment (a later call resumes it)."""
    device = app.device
    plugin.prepare_device(device, narrate)
    workstation = Workstation(app.transport)
    try:
        if device.platform.intune_requests_credential or device.provider_app:
            return await app.sync(user, workstation, steps=steps)
        return await app.install_provider_app(plugin.name, user, workstation, steps=steps)
    finally:
        await workstation.close()
