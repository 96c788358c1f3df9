"""What the servers accept as a name, a user principal name or an e-mail address: one line of
printable text, bounded. Each check returns why a value is refused (`None` when it is fine), so
every server words its own problem (`malformed`, naming its field).

A name, UPN or address ends up in a certificate, a directory or a log line; a control
character, a line break (a trailing newline included) or outer whitespace in one is refused
rather than stripped, and so are characters a certificate cannot carry (lone surrogates). X.520
names (a certificate's common name) are bounded in UTF-8 bytes as well as in characters, as the
certificate library bounds them.
"""

from __future__ import annotations

import re

#: Refused anywhere in one line of text: C0 and C1 controls and DEL, the line and paragraph
#: separators, the invisible format characters that reorder or hide text (zero-width spaces and
#: joiners, bidirectional marks, embeddings, overrides and isolates, the BOM). A list of ranges,
#: not Unicode categories, so that `LINE_PATTERN` can say exactly the same in an OpenAPI schema
#: (JSON Schema regular expressions have no category classes). Lone surrogates are refused
#: earlier, by the JSON reader.
REFUSED_RANGES = (
    r"\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
)
#: Refused at either end: whitespace that `str.strip()` removes, beside `REFUSED_RANGES`.
SPACE_RANGES = r"\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
#: One line of printable text, as a JSON Schema `pattern` (the same test as `line_problem`).
LINE_PATTERN = (
    f"^[^{REFUSED_RANGES}{SPACE_RANGES}](?:[^{REFUSED_RANGES}]*[^{REFUSED_RANGES}{SPACE_RANGES}])?$"
)
_REFUSED_CHAR = re.compile(f"[{REFUSED_RANGES}\ud800-\udfff]")
_SPACE_CHAR = re.compile(f"[{REFUSED_RANGES}{SPACE_RANGES}]")

#: X.520 ub-common-name; the certificate library counts it in UTF-8 bytes.
MAX_COMMON_NAME = 64
#: RFC 5321: a path of at most 254 characters, a local part of at most 64.
MAX_EMAIL = 254
MAX_EMAIL_LOCAL = 64
#: A user principal name as Active Directory bounds it (sAMAccountName@suffix is shorter).
MAX_UPN = 256

#: An rfc822Name is an IA5String: ASCII only (RFC 5280 section 4.2.1.6).
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: name@domain: one '@', no whitespace, nothing `line_problem` refuses.
_UPN = re.compile(f"[^@\\s{REFUSED_RANGES}]+@[^@\\s{REFUSED_RANGES}]+")
#: The JSON Schema `pattern`s of a UPN and an e-mail address (`upn_problem`, `email_problem`).
UPN_PATTERN = f"^{_UPN.pattern}$"
EMAIL_PATTERN = f"^{_EMAIL.pattern}$"


def line_problem(
    value: str, *, max_chars: int, min_chars: int = 1, max_utf8_bytes: int | None = None
) -> str | None:
    """Why `value` is not one line of text of `min_chars..max_chars` characters (and at most
    `max_utf8_bytes` bytes in UTF-8), or None."""
    if len(value) < min_chars:
        return "must not be empty" if min_chars == 1 else f"must be at least {min_chars} long"
    if len(value) > max_chars:
        return f"must be at most {max_chars} characters"
    bad = _REFUSED_CHAR.search(value)
    if bad is not None:
        return f"must be one line of printable text (holds U+{ord(bad.group()):04X})"
    if _SPACE_CHAR.fullmatch(value[0]) or _SPACE_CHAR.fullmatch(value[-1]):
        return "must not begin or end with whitespace"
    if max_utf8_bytes is not None and len(value.encode("utf-8")) > max_utf8_bytes:
        return f"must be at most {max_utf8_bytes} bytes in UTF-8"
    return None


def common_name_problem(value: str) -> str | None:
    """Why `value` cannot be a certificate's common name (one line, at most 64 characters and
    64 UTF-8 bytes), or None."""
    return line_problem(value, max_chars=MAX_COMMON_NAME, max_utf8_bytes=MAX_COMMON_NAME)


def upn_problem(value: str, *, max_chars: int = MAX_UPN) -> str | None:
    """Why `value` is not a user principal name (`name@domain`, one line, no whitespace)."""
    why = line_problem(value, max_chars=max_chars)
    if why is not None:
        return why
    if not _UPN.fullmatch(value):
        return "must be a user principal name (name@domain)"
    return None


def email_problem(value: str) -> str | None:
    """Why `value` is not an ASCII e-mail address a certificate can carry, or None."""
    if len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value):
        return (
            f"must be an ASCII address name@domain of at most {MAX_EMAIL} characters, "
            f"its name at most {MAX_EMAIL_LOCAL}"
        )
    return None
