"""The device-side emulator: devices and their apps (Company Portal, ...), and the user with a
PIV smart card and a workstation. Talks to issuers and Intune only over HTTP."""
