"""The S/MIME error hierarchy (all `AgentError`s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trust_store.errors import AccessDeniedError
from trust_store.stores import Identity

from ..errors import AgentError

if TYPE_CHECKING:
    from .envelope import RecipientId


class SmimeError(AgentError):
    code = "smime-error"


class SmimeAccessDeniedError(SmimeError, AccessDeniedError):
    """The platform store refused the app the credential (not entitled, no grant)."""

    code = "smime-access-denied"


class NoSmimeIdentityError(SmimeError):
    code = "no-smime-identity"


class UnsupportedRecipientError(SmimeError):
    code = "unsupported-recipient"


class MalformedMessageError(SmimeError):
    code = "malformed-smime"


class NoMatchingKeyError(SmimeError):
    """No key of the key-management history is among the message's recipients."""

    code = "no-matching-key"

    def __init__(self, recipients: Sequence[RecipientId], held: Sequence[Identity]) -> None:
        named = "; ".join(r.describe() for r in recipients) or "none"
        keys = "; ".join(f"{i.label} (serial {i.cert.serial_number:x})" for i in held) or "none"
        super().__init__(
            f"the message is encrypted for {named}, but the key-management history holds {keys}"
        )
        self.recipients = list(recipients)
        self.held = list(held)


class DecryptionFailedError(SmimeError):
    code = "decryption-failed"
