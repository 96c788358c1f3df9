"""RFC 9457 (formerly 7807) problem documents, the client half: the media type, the type URI
prefix, and the mapping of a server's answer back to a typed exception.

The server half (`Problem`, the per-server kind catalogues, the middleware) is
`servicekit.problems`; the agent reads problem documents through this module only, so it never
imports server code.
"""

from __future__ import annotations

import json
from typing import Any

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:dcemu:problem:"


class RemoteProblem(Exception):
    """A problem document received from a server, as a typed exception on the client side."""

    def __init__(self, status: int, doc: dict[str, Any]) -> None:
        self.status = status
        self.doc = doc
        self.type_uri = str(doc.get("type", "about:blank"))
        self.kind = self.type_uri.removeprefix(TYPE_BASE)
        self.title = str(doc.get("title", ""))
        self.detail = str(doc.get("detail", ""))
        super().__init__(f"{status} {self.kind}: {self.detail or self.title}")


def parse_problem(status: int, content_type: str, body: bytes) -> RemoteProblem:
    doc: dict[str, Any]
    try:
        parsed = json.loads(body) if body else {}
        doc = parsed if isinstance(parsed, dict) else {"detail": str(parsed)}
    except ValueError:
        doc = {"detail": body[:200].decode(errors="replace")}
    if content_type != PROBLEM_JSON:
        doc.setdefault("type", f"{TYPE_BASE}http-{status}")
    return RemoteProblem(status, doc)
