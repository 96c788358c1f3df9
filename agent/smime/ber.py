"""BER reading and DER writing: just what EnvelopedData needs (definite and indefinite lengths,
constructed strings, X.501 names, object identifiers)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from .errors import MalformedMessageError

SEQUENCE, SET, INTEGER, OCTETS, OCTETS_CONSTRUCTED = 0x30, 0x31, 0x02, 0x04, 0x24
CTX0, CTX0_PRIMITIVE = 0xA0, 0x80

#: String types that occur in names, and how their contents decode.
_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be"}


@dataclass
class Node:
    tag: int
    value: bytes = b""
    children: list[Node] | None = None

    def der(self) -> bytes:
        if self.children is None:
            return tlv(self.tag, self.value)
        if self.tag == OCTETS_CONSTRUCTED:
            return tlv(OCTETS, self.flat())
        parts = [c.der() for c in self.children]
        if self.tag == SET:
            parts.sort()
        return tlv(self.tag, b"".join(parts))

    def flat(self) -> bytes:
        """The contents of a string in primitive or constructed (segmented) form."""
        if self.children is None:
            return self.value
        return b"".join(c.flat() for c in self.children)

    def kids(self, n: int, what: str) -> list[Node]:
        if self.children is None or len(self.children) < n:
            raise MalformedMessageError(f"{what}: expected {n} or more elements")
        return self.children


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def integer(value: int) -> bytes:
    return tlv(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def name(node: Node) -> x509.Name:
    """An X.501 Name read from BER (RDN sequence of attribute type and value)."""
    rdns = []
    for rdn in node.children or []:
        attrs = []
        for atv in rdn.children or []:
            oid, value = atv.kids(2, "AttributeTypeAndValue")[:2]
            codec = _STRINGS.get(value.tag)
            if codec is None:
                raise MalformedMessageError(f"name attribute of string type {value.tag:#x}")
            text = value.flat().decode(codec, errors="replace")
            try:
                attrs.append(x509.NameAttribute(x509.ObjectIdentifier(_oid(oid.value)), text))
            except ValueError as e:
                raise MalformedMessageError(f"unreadable issuer name attribute: {e}") from e
        if not attrs:
            raise MalformedMessageError("empty relative distinguished name in the issuer")
        rdns.append(x509.RelativeDistinguishedName(attrs))
    return x509.Name(rdns)


def _oid(raw: bytes) -> str:
    arcs, acc = [], 0
    for b in raw:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    if not arcs:
        raise MalformedMessageError("empty OBJECT IDENTIFIER")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def parse_ber(buf: bytes) -> Node:
    try:
        node, end = _read(buf, 0, len(buf))
    except (IndexError, RecursionError) as e:
        raise MalformedMessageError(f"truncated or too deeply nested BER: {e!r}") from e
    if end != len(buf):
        raise MalformedMessageError(f"{len(buf) - end} bytes after the CMS structure")
    return node


def _read(buf: bytes, pos: int, limit: int) -> tuple[Node, int]:
    tag, first = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise MalformedMessageError("high tag numbers do not occur in EnvelopedData")
    pos += 2
    constructed = bool(tag & 0x20)
    if first == 0x80:  # indefinite length: children up to end-of-contents
        if not constructed:
            raise MalformedMessageError("indefinite length on a primitive element")
        children = []
        while buf[pos : pos + 2] != b"\x00\x00":
            child, pos = _read(buf, pos, limit)
            children.append(child)
        if pos + 2 > limit:
            raise MalformedMessageError("an element runs past its container")
        return Node(tag, children=children), pos + 2
    if first & 0x80:
        n = first & 0x7F
        if not 1 <= n <= 4:
            raise MalformedMessageError(f"length of {n} octets")
        length, pos = int.from_bytes(buf[pos : pos + n], "big"), pos + n
    else:
        length = first
    end = pos + length
    if end > limit:
        raise MalformedMessageError("an element runs past its container")
    if not constructed:
        return Node(tag, buf[pos:end]), end
    children = []
    while pos < end:
        child, pos = _read(buf, pos, end)
        children.append(child)
    return Node(tag, children=children), end
