"""The ``spamlab`` command.

Each subcommand lives in its own module of this package (:mod:`spamlab.cli.fetch`,
:mod:`spamlab.cli.ingest`, :mod:`spamlab.cli.run`), which provides two functions::

    configure_parser(parser: argparse.ArgumentParser) -> None
    run_command(args: argparse.Namespace) -> int

so the command line stays a thin dispatcher. Errors that spamlab raises on
purpose (:class:`spamlab.errors.SpamlabError`) are printed as one clear line and
exit with status 2; anything else is a bug and keeps its traceback.

Examples
--------
>>> build_parser("ingest").parse_args(["ingest", "trap.mbox", "--out", "counts"]).workers is None
True
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from spamlab import __version__
from spamlab.errors import SpamlabError

__all__ = ["COMMANDS", "build_parser", "main"]

#: subcommand name -> (module implementing it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("spamlab.cli.ingest", "raw mail (mbox, maildir, folders, archives) -> daily counts"),
    "fetch": ("spamlab.cli.fetch", "download a public spam archive with resume and provenance"),
    "run": ("spamlab.cli.run", "execute the analysis notebooks into reports/NAME/"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with the options of subcommand ``command`` (``None``: of all).

    Every subcommand is listed, but only the module of ``command`` is imported.
    The imports are deferred on purpose, not to break a cycle: ``spamlab run``
    pulls in the notebook machinery and ``spamlab ingest`` pandas and pyarrow,
    so ``spamlab --help`` needs none of them and each subcommand starts with only
    its own (the ingest benchmark counts start-up time).
    """
    parser = argparse.ArgumentParser(
        prog="spamlab", description="Measure what a botnet takedown did to spam volume."
    )
    parser.add_argument("--version", action="version", version=f"spamlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            module = importlib.import_module(module_name)
            module.configure_parser(command_parser)
            command_parser.set_defaults(_run=module.run_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(arguments[0] if arguments else "").parse_args(arguments)
    try:
        return int(args._run(args))
    except SpamlabError as exc:
        print(f"spamlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spamlab {args.command}: interrupted", file=sys.stderr)
        return 130

