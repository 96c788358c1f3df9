"""iOS/iPadOS Exchange ActiveSync email profile (`iosEasEmailProfileConfiguration`), with the
S/MIME settings under their exact Graph names (`smimeSigningEnabled`,
`smimeEncryptByDefaultEnabled`, `signingCertificateType`, `encryptionCertificateType`, ...).

A derived credential can authenticate the account (`authenticationMethod`), sign
(`signingCertificateType`) and decrypt (`encryptionCertificateType`); any of the three makes
the profile one that uses a derived credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Flag, Text
from ..platforms import Platform
from . import vocab
from .base import GRAPH_NS, ProfileType, register
from .records import FlagSet

#: Graph `easAuthenticationMethod`.
EAS_AUTHENTICATION_METHODS = ("usernameAndPassword", "certificate", "derivedCredential")
#: Graph `emailCertificateType`.
EMAIL_CERTIFICATE_TYPES = ("none", "certificate", "derivedCredential")
#: Graph `userEmailSource`.
EMAIL_ADDRESS_SOURCES = ("userPrincipalName", "primarySmtpAddress")
#: Graph `usernameSource`.
USERNAME_SOURCES = ("userPrincipalName", "primarySmtpAddress", "samAccountName")
#: Graph `domainNameSource`.
DOMAIN_NAME_SOURCES = ("fullDomainName", "netBiosDomainName")
#: Graph `emailSyncDuration`.
SYNC_DURATIONS = (
    "userDefined",
    "oneDay",
    "threeDays",
    "oneWeek",
    "twoWeeks",
    "oneMonth",
    "unlimited",
)
#: Graph `easServices` (flags).
EAS_SERVICES = ("none", "calendars", "contacts", "email", "notes", "reminders")

#: The properties that can each name the derived credential.
DERIVED_CREDENTIAL_FIELDS = (
    "authenticationMethod",
    "signingCertificateType",
    "encryptionCertificateType",
)


@register
class IosEasEmailProfileConfiguration(ProfileType):
    odata_type = GRAPH_NS + "iosEasEmailProfileConfiguration"
    platform = Platform.IOS
    fields = (
        # easEmailProfileConfigurationBase
        Choice(name="usernameSource", values=EMAIL_ADDRESS_SOURCES),
        Choice(name="usernameAADSource", values=USERNAME_SOURCES),
        Choice(name="userDomainNameSource", values=DOMAIN_NAME_SOURCES),
        Text(name="customDomainName", max_length=256),
        # iosEasEmailProfileConfiguration
        Text(name="accountName", required=True, min_length=1, max_length=256),
        Text(name="hostName", required=True, min_length=1, max_length=2048),
        Choice(name="emailAddressSource", values=EMAIL_ADDRESS_SOURCES),
        Choice(name="authenticationMethod", values=EAS_AUTHENTICATION_METHODS),
        Flag(name="requireSsl"),
        Flag(name="useOAuth"),
        Text(name="oAuthSignInUrl", max_length=2048),
        Text(name="oAuthTokenRequestUrl", max_length=2048),
        Choice(name="durationOfEmailToSync", values=SYNC_DURATIONS),
        FlagSet(name="easServices", values=EAS_SERVICES),
        Flag(name="easServicesUserOverrideEnabled"),
        Flag(name="blockMovingMessagesToOtherEmailAccounts"),
        Flag(name="blockSendingEmailFromThirdPartyApps"),
        Flag(name="blockSyncingRecentlyUsedEmailAddresses"),
        Text(name="perAppVPNProfileId", max_length=64),
        # S/MIME
        Flag(name="requireSmime"),
        Flag(name="smimeSigningEnabled"),
        Flag(name="smimeSigningUserOverrideEnabled"),
        Choice(name="signingCertificateType", values=EMAIL_CERTIFICATE_TYPES),
        Flag(name="smimeSigningCertificateUserOverrideEnabled"),
        Flag(name="smimeEncryptByDefaultEnabled"),
        Flag(name="smimeEncryptByDefaultUserOverrideEnabled"),
        Choice(name="encryptionCertificateType", values=EMAIL_CERTIFICATE_TYPES),
        Flag(name="smimeEncryptionCertificateUserOverrideEnabled"),
        Flag(name="smimeEnablePerMessageSwitch"),
    )

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return any(props.get(f) == vocab.DERIVED_CREDENTIAL for f in DERIVED_CREDENTIAL_FIELDS)
