"""Emulated per-platform certificate stores behind one interface (see `base.py`)."""

from .base import STORES, CertificateStore, CredentialRole, Identity, store_for

__all__ = ["STORES", "CertificateStore", "CredentialRole", "Identity", "store_for"]

# Importing the platform modules registers them in STORES.
from . import android_keychain, ios_keychain, windows_store  # noqa: F401
