"""The ``unboil`` command: one sub-command per verb, each in unboil.commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from unboil import __version__

VERBS = ("clean", "explain", "rules", "dedup", "learn")


class _VersionAction(argparse.Action):
    """``--version``: the version, and how many compiled speed-ups are in use (checked only here)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from unboil._compiled import speedups

        built = speedups()
        missing = [name for name, ok in built.items() if not ok]
        line = f"unboil {__version__} (compiled speed-ups: {len(built) - len(missing)} of {len(built)}"
        line += f"; pure Python for {', '.join(missing)})" if missing else ")"
        print(line)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every verb whose module is present."""
    parser = argparse.ArgumentParser(
        prog="unboil",
        description="Strip boilerplate, repeated titles, share widgets and duplicates from crawled pages.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and which speed-ups are compiled")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for verb in VERBS:
        try:
            module = importlib.import_module(f"unboil.commands.{verb}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("unboil.commands"):
                continue  # verb not built into this version
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="unboil: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    from unboil.commands.signals import Terminated, stop_on_signals

    try:
        with stop_on_signals():  # SIGTERM/SIGHUP raise, so writers close as failed and keep .partial
            return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `unboil clean ... | head`
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            return 0
    except Terminated as exc:
        print(f"unboil {args.verb}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("unboil: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
