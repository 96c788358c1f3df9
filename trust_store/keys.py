"""Key algorithms, generation and (de)serialisation."""

from __future__ import annotations

from enum import StrEnum

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import TrustStoreError
from .oids import MIN_RSA_BITS

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyAlgorithm(StrEnum):
    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"


_CURVES: dict[KeyAlgorithm, ec.EllipticCurve] = {
    KeyAlgorithm.EC_P256: ec.SECP256R1(),
    KeyAlgorithm.EC_P384: ec.SECP384R1(),
}
_RSA_BITS = {KeyAlgorithm.RSA_2048: 2048, KeyAlgorithm.RSA_3072: 3072}


def generate_key(alg: KeyAlgorithm) -> PrivateKey:
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg])
    return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[alg])


def hash_for(key: PrivateKey | PublicKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP384R1
    ):
        return hashes.SHA384()
    return hashes.SHA256()


class WeakKeyError(TrustStoreError):
    """A public key is of an algorithm or size the certificate profiles do not allow."""


#: SP 800-78 (PIV algorithms) and the FPKI key profiles: an RSA public exponent is 65537.
RSA_PUBLIC_EXPONENT = 65537


def check_public_key(pub: object) -> PublicKey:
    """Accept RSA >= 2048 with exponent 65537, and EC P-256/P-384 (FPKI profiles); refuse
    anything else."""
    if isinstance(pub, rsa.RSAPublicKey):
        if pub.key_size < MIN_RSA_BITS:
            raise WeakKeyError(f"RSA key of {pub.key_size} bits; at least {MIN_RSA_BITS} required")
        exponent = pub.public_numbers().e
        if exponent != RSA_PUBLIC_EXPONENT:
            shown = (
                str(exponent) if exponent.bit_length() <= 64 else f"of {exponent.bit_length()} bits"
            )
            raise WeakKeyError(
                f"RSA public exponent {shown}; only {RSA_PUBLIC_EXPONENT} is allowed"
            )
        return pub
    if isinstance(pub, ec.EllipticCurvePublicKey):
        if not isinstance(pub.curve, ec.SECP256R1 | ec.SECP384R1):
            raise WeakKeyError(f"EC curve {pub.curve.name} is not allowed; use P-256 or P-384")
        return pub
    raise WeakKeyError(f"key type {type(pub).__name__} is not allowed; use RSA or EC")


def private_key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_private_key_pem(data: bytes, password: bytes | None = None) -> PrivateKey:
    key = serialization.load_pem_private_key(data, password)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TrustStoreError(f"unsupported private key type {type(key).__name__}")
    return key
