"""The `dcemu` command line. Settings are parsed here, once, and passed down."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from agent.errors import ServiceError, UnsupportedError
from agent.payloads.known_issues import KNOWN_ISSUES, resolve
from agent.statelock import DeviceBusyError

from .demo import run_demo, select
from .enroll import EnrollOptions, run_enroll
from .labfile import LabFileError
from .matrix import DEVICES, issuer_names
from .serve import ServeOptions, serve_until_stopped
from .settings import LabSettings, LabSettingsError, read_config

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
    serve = sub.add_parser(
        "serve",
        help="run the mock services as long-running HTTPS servers until SIGINT/SIGTERM",
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        help="keep ports, clock, PKI and every service's state here (default: a temporary one)",
    )
    serve.add_argument(
        "--issuer",
        action="append",
        choices=issuer_names(),
        default=[],
        help="run only this issuer (repeat for more; default: all)",
    )
    serve.add_argument("--seed", type=int, help="seed tokens, passwords and identifiers")
    serve.add_argument(
        "--config",
        type=Path,
        help="a file of DCEMU_NAME=value settings (the environment wins over it)",
    )
    enroll = sub.add_parser(
        "enroll", help="run devices through the whole flow against running services (lab.json)"
    )
    enroll.add_argument("--lab", type=Path, required=True, help="the lab.json of the services")
    enroll.add_argument("--issuer", required=True, choices=issuer_names())
    enroll.add_argument("--platform", required=True, choices=[d.platform for d in DEVICES])
    enroll.add_argument("--count", type=int, default=1, help="devices (each its own user)")
    enroll.add_argument(
        "--state-dir", type=Path, help="keep every device here; a second run resumes them"
    )
    enroll.add_argument("--out", type=Path, help="write report.json here")
    enroll.add_argument("--seed", type=int, help="seed the devices' tokens and passwords")
    enroll.add_argument("--concurrency", type=int, default=8, help="devices in flight at once")
    enroll.add_argument(
        "--start-index", type=int, default=1, help="the first device's number (default 1)"
    )
    enroll.add_argument(
        "--key-history",
        type=int,
        default=2,
        help="earlier key-management keys on each new card (default 2)",
    )
    enroll.add_argument(
        "--crash-after",
        type=int,
        default=0,
        metavar="N",
        help="crash tests: SIGKILL this process right after the N-th answered request",
    )
    return p


def _enroll(args: argparse.Namespace) -> int:
    if min(args.count, args.concurrency, args.start_index) < 1 or not 0 <= args.key_history <= 5:
        print(
            "dcemu enroll: --count, --concurrency and --start-index must be at least 1, "
            "--key-history within 0..5",
            file=sys.stderr,
        )
        return 2
    options = EnrollOptions(
        args.lab,
        args.issuer,
        args.platform,
        args.count,
        args.state_dir,
        args.out,
        args.seed,
        args.concurrency,
        args.crash_after,
        args.start_index,
        args.key_history,
    )
    try:
        report = asyncio.run(run_enroll(options, lambda t: print(t, flush=True)))
    except (LabFileError, DeviceBusyError) as e:
        print(f"dcemu enroll: {e}", file=sys.stderr)
        return 2
    except ServiceError as e:
        print(f"dcemu enroll: the lab's services refused or are unreachable: {e}", file=sys.stderr)
        return 2
    s = report["summary"]
    print(
        f"{s['complete']}/{s['devices']} devices complete, {s['retries']} retries, "
        f"in {s['seconds']} s" + (f"; failures: {s['failures']}" if s["failures"] else "")
    )
    return 0 if s["complete"] == s["devices"] else 1


def _serve(args: argparse.Namespace) -> int:
    try:
        env = {**(read_config(args.config) if args.config else {}), **os.environ}
        settings = LabSettings.from_env(env, args.issuer or None)
    except LabSettingsError as e:
        print(f"dcemu serve: {e}", file=sys.stderr)
        return 2
    options = ServeOptions(args.state_dir, tuple(args.issuer), args.seed, settings)
    try:
        return asyncio.run(serve_until_stopped(options, lambda t: print(t, flush=True)))
    except OSError as e:  # a port kept from an earlier run is taken, an address is missing
        print(f"dcemu serve: cannot start: {e}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "enroll":
        return _enroll(args)
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
        try:
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
        except OSError as e:  # a listener cannot bind (an on-premises address not on this host)
            print(f"dcemu demo: cannot start the lab's services: {e}", file=sys.stderr)
            return 2
        return 0 if result.ok else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
