"""Seedable randomness for everything that is not key material.

Tokens, passwords, identifiers and serial numbers come from here so a seeded lab repeats itself.
Private keys always come from the operating system's generator through `cryptography`; that
cannot (and must not) be seeded.
"""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import uuid


class Randomness:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng: random.Random | secrets.SystemRandom = (
            random.Random(seed) if seed is not None else secrets.SystemRandom()
        )

    def token_bytes(self, n: int) -> bytes:
        return bytes(self._rng.getrandbits(8) for _ in range(n))

    def token_urlsafe(self, n: int = 16) -> str:
        return base64.urlsafe_b64encode(self.token_bytes(n)).rstrip(b"=").decode()

    def digits(self, n: int) -> str:
        return "".join(str(self._rng.randrange(10)) for _ in range(n))

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high] (backoff jitter)."""
        return self._rng.uniform(low, high)

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.token_bytes(16), version=4)

    def serial(self) -> int:
        """A positive 159-bit certificate serial number (RFC 5280 allows at most 20 octets)."""
        return self._rng.getrandbits(159) | (1 << 150)

    def child(self, label: str) -> Randomness:
        """An independent stream derived from this one (stable for a seeded parent)."""
        if self.seed is None:
            return Randomness()
        digest = hashlib.sha256(f"{self.seed}/{label}".encode()).digest()
        return Randomness(int.from_bytes(digest[:8], "big"))
