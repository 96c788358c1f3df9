"""The `dcemu` command line. Settings are parsed here, once, and passed down."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from agent.errors import UnsupportedError
from agent.payloads.known_issues import KNOWN_ISSUES, resolve

from .demo import run_demo, select
from .matrix import DEVICES, issuer_names
from .settings import LabSettings, LabSettingsError

#: A numbered step of the demo's narration (`  7. ...`), hidden by --quiet.
STEP_LINE = re.compile(r"^\s*\d+\. ")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dcemu", description="Derived-credential lab (NIST SP 800-157)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the end-to-end flow on loopback and print a summary")
    demo.add_argument(
        "--out", type=Path, help="write report.json, certificates, profiles and trust/ here"
    )
    demo.add_argument(
        "--seed", type=int, help="seed tokens, passwords and serials (keys stay random)"
    )
    demo.add_argument(
        "--state-dir", type=Path, help="keep lab PKI and device state here (resumable)"
    )
    demo.add_argument("--quiet", action="store_true", help="print only the summary")
    demo.add_argument(
        "--issuer",
        action="append",
        choices=issuer_names(),
        default=[],
        help="run only this issuer (repeat for more; default: all)",
    )
    demo.add_argument(
        "--platform",
        action="append",
        choices=[d.platform for d in DEVICES],
        default=[],
        help="run only this platform (repeat for more; default: all)",
    )
    demo.add_argument(
        "--known-issue-off",
        action="append",
        metavar="NAME",
        default=[],
        help=f"do not reproduce this documented defect (known: {', '.join(sorted(KNOWN_ISSUES))})",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        lines: list[str] = []

        def echo(text: str) -> None:
            if not args.quiet or not STEP_LINE.match(text):
                print(text, flush=True)
            lines.append(text)

        try:
            known = resolve(disable=args.known_issue_off)
            settings = LabSettings.from_env(os.environ)
        except (UnsupportedError, LabSettingsError) as e:
            print(f"dcemu demo: {e}", file=sys.stderr)
            return 2
        result = asyncio.run(
            run_demo(
                out=args.out,
                seed=args.seed,
                state_dir=args.state_dir,
                echo=echo,
                combos=select(args.issuer, args.platform),
                known_issues=known,
                settings=settings,
            )
        )
        return 0 if result.ok else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
