"""Graph shapes shared by the VPN profile types: `vpnServer` and the authentication methods."""

from __future__ import annotations

from ..fields import Field, Flag, Text
from .records import Record, RecordList

#: Graph `vpnServer`.
VPN_SERVER_FIELDS: tuple[Field, ...] = (
    Text(name="address", required=True, min_length=1, max_length=2048),
    Text(name="description", max_length=1024),
    Flag(name="isDefaultServer"),
)


def vpn_server(name: str, *, required: bool = False) -> Record:
    return Record(name=name, required=required, members=VPN_SERVER_FIELDS)


def vpn_servers(name: str, *, required: bool = False) -> RecordList:
    return RecordList(name=name, required=required, members=VPN_SERVER_FIELDS, max_items=500)


#: Graph `vpnAuthenticationMethod` (Apple and Android VPN types). `sharedSecret` is for iOS
#: IKEv2 only.
VPN_AUTHENTICATION_METHODS = (
    "certificate",
    "usernameAndPassword",
    "sharedSecret",
    "derivedCredential",
    "azureAD",
)
SHARED_SECRET = "sharedSecret"
