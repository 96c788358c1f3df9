"""Object identifiers and fixed rules, each with its source.

Sources:
- [800-157] NIST SP 800-157 (2014) and 800-157r1 final public draft (2024), appendix A.
- [FPKI] Federal PKI X.509 certificate and CRL extensions profile (GSA fpki-guides),
  worksheet 15 "Derived PIV Authentication" and the common policy OIDs.
- [5280] RFC 5280; [4556] RFC 4556 (PKINIT); [6960] RFC 6960 (OCSP).
- [MS] Microsoft smart-card logon EKU and UPN otherName.
"""

from __future__ import annotations

import datetime as dt

from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import ExtendedKeyUsageOID

# --- certificate policies -------------------------------------------------------------------
#: [5280] anyPolicy: asserted by the lab's issuing CAs so explicit-policy path validation works.
ANY_POLICY = ObjectIdentifier("2.5.29.32.0")
#: [FPKI] id-fpki-common-authentication: PIV Authentication certificate on the card.
FPKI_COMMON_AUTHENTICATION = ObjectIdentifier("2.16.840.1.101.3.2.1.3.13")
#: [FPKI] id-fpki-common-cardAuth: PIV Card Authentication.
FPKI_COMMON_CARD_AUTH = ObjectIdentifier("2.16.840.1.101.3.2.1.3.17")
#: [FPKI] id-fpki-common-policy: signature and key-management certificates (software keys).
FPKI_COMMON_POLICY = ObjectIdentifier("2.16.840.1.101.3.2.1.3.6")
#: [FPKI] id-fpki-common-hardware: signature and key-management certificates (hardware keys).
FPKI_COMMON_HARDWARE = ObjectIdentifier("2.16.840.1.101.3.2.1.3.7")
#: [800-157][FPKI] id-fpki-common-derived-pivAuth (AAL2, software key allowed).
DERIVED_PIV_AUTH = ObjectIdentifier("2.16.840.1.101.3.2.1.3.40")
#: [800-157][FPKI] id-fpki-common-derived-pivAuth-hardware (AAL3, non-exportable key).
DERIVED_PIV_AUTH_HARDWARE = ObjectIdentifier("2.16.840.1.101.3.2.1.3.41")

# --- extensions and name forms --------------------------------------------------------------
#: [FPKI] PIV interim indicator (id-piv-interim), a BOOLEAN.
PIV_INTERIM = ObjectIdentifier("2.16.840.1.101.3.6.9.1")
#: [MS] User principal name otherName in subjectAltName (UTF8String).
MS_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")

# --- extended key usages --------------------------------------------------------------------
EKU_CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH  # 1.3.6.1.5.5.7.3.2 [5280]
EKU_SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH  # 1.3.6.1.5.5.7.3.1 [5280]
EKU_EMAIL_PROTECTION = ExtendedKeyUsageOID.EMAIL_PROTECTION  # 1.3.6.1.5.5.7.3.4 [5280]
EKU_OCSP_SIGNING = ExtendedKeyUsageOID.OCSP_SIGNING  # 1.3.6.1.5.5.7.3.9 [6960]
#: [4556] id-pkinit-KPClientAuth.
EKU_PKINIT_CLIENT_AUTH = ObjectIdentifier("1.3.6.1.5.2.3.4")
#: [MS] Smart-card logon.
EKU_SMARTCARD_LOGON = ObjectIdentifier("1.3.6.1.4.1.311.20.2.2")

# --- fixed rules ----------------------------------------------------------------------------
#: [800-157] derived PIV Authentication certificates are valid at most three years.
DERIVED_MAX_VALIDITY = dt.timedelta(days=3 * 365)
#: [Intune] the issuer must re-issue before 80% of the validity period has passed.
RENEWAL_FRACTION = 0.8
#: [800-157] RSA keys are 2048 bits or larger.
MIN_RSA_BITS = 2048
