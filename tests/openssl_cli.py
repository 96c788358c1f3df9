"""The openssl command line, for the tests that have OpenSSL itself read what the lab made: a
module marks itself `pytestmark = [pytest.mark.openssl, needs_openssl]` (or one test, with both
decorators) and calls `code, out = await run_openssl(...)`."""

from __future__ import annotations

import asyncio
import shutil

import pytest

OPENSSL = shutil.which("openssl")
#: Skips a test (or, in `pytestmark`, a module) where there is no openssl command line.
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command line")


async def run_openssl(*args: str) -> tuple[int, str]:
    """Run `openssl *args`: its exit code and its output (stdout and stderr together)."""
    assert OPENSSL is not None
    proc = await asyncio.create_subprocess_exec(
        OPENSSL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")
