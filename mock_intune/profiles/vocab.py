"""Graph enumerations and rules shared by several profile types (Wi-Fi, VPN, email)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..problems import DerivedCredentialEapType

#: Graph `eapType`: every value is accepted on input.
EAP_TYPES = ("eapTls", "leap", "eapSim", "eapTtls", "peap", "eapFast", "teap")
#: memdocs: "Authentication method is available only when the EAP type is EAP-TLS, EAP-TTLS
#: or PEAP".
DERIVED_CREDENTIAL_EAP_TYPES = ("eapTls", "eapTtls", "peap")
#: Graph `wiFiAuthenticationMethod`.
WIFI_AUTHENTICATION_METHODS = ("certificate", "usernameAndPassword", "derivedCredential")
#: Graph `wiFiSecurityType`.
WIFI_SECURITY_TYPES = (
    "open",
    "wpaPersonal",
    "wpaEnterprise",
    "wep",
    "wpa2Personal",
    "wpa2Enterprise",
)
#: Graph `nonEapAuthenticationMethodForEapTtlsType`.
EAP_TTLS_INNER_METHODS = (
    "unencryptedPassword",
    "challengeHandshakeAuthenticationProtocol",
    "microsoftChap",
    "microsoftChapVersionTwo",
)
#: Graph `wiFiProxySetting`.
WIFI_PROXY_SETTINGS = ("none", "manual", "automatic", "unknownFutureValue")
#: Graph `eapFastConfiguration`.
EAP_FAST_CONFIGURATIONS = (
    "noProtectedAccessCredential",
    "useProtectedAccessCredential",
    "useProtectedAccessCredentialAndProvision",
    "useProtectedAccessCredentialAndProvisionAnonymously",
)

DERIVED_CREDENTIAL = "derivedCredential"


def check_derived_credential_eap(
    props: Mapping[str, Any],
    *,
    eap_field: str = "eapType",
    method_field: str = "authenticationMethod",
) -> None:
    """`authenticationMethod: derivedCredential` needs EAP-TLS, EAP-TTLS or PEAP."""
    if props.get(method_field) != DERIVED_CREDENTIAL:
        return
    eap = props.get(eap_field)
    if eap not in DERIVED_CREDENTIAL_EAP_TYPES:
        raise DerivedCredentialEapType(
            f"{method_field} derivedCredential needs {eap_field} eapTls, eapTtls or peap, "
            f"not {eap!r}",
            field=eap_field,
            allowed=list(DERIVED_CREDENTIAL_EAP_TYPES),
        )
