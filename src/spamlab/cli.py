"""The ``spamlab`` command.

Each subcommand lives in its own module, which provides two functions::

    configure_parser(parser: argparse.ArgumentParser) -> None
    run_command(args: argparse.Namespace) -> int

so the command line stays a thin dispatcher. Errors that spamlab raises on
purpose (:class:`spamlab.errors.SpamlabError`) are printed as one clear line and
exit with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from spamlab import __version__
from spamlab.errors import SpamlabError

#: subcommand name -> (module implementing it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("spamlab.ingest_cli", "raw mail (mbox, maildir, folders, archives) -> daily counts"),
    "fetch": ("spamlab.fetch", "download a public spam archive with resume and provenance"),
    "run": ("spamlab.run", "execute the analysis notebooks into reports/NAME/"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="spamlab", description="Measure what a botnet takedown did to spam volume."
    )
    parser.add_argument("--version", action="version", version=f"spamlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure_parser(command_parser)
        command_parser.set_defaults(_run=module.run_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args))
    except SpamlabError as exc:
        print(f"spamlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spamlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
