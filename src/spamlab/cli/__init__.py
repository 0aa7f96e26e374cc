"""The ``spamlab`` command.

Each subcommand lives in its own module of this package (:mod:`spamlab.cli.fetch`,
:mod:`spamlab.cli.ingest`, :mod:`spamlab.cli.run`), which provides two functions::

    configure_parser(parser: argparse.ArgumentParser) -> None
    run_command(args: argparse.Namespace) -> int

so the command line stays a thin dispatcher. :func:`main` is the one error
boundary: errors that spamlab raises on purpose (:class:`spamlab.errors.SpamlabError`)
are one clear line and exit status 2; operating-system failures (a full disk) and
bugs are one line and status 1; ``--debug`` shows their traceback.

Examples
--------
>>> build_parser("ingest").parse_args(["ingest", "trap.mbox", "--out", "counts"]).workers is None
True
"""

from __future__ import annotations

import argparse
import errno
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
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure "
                        "instead of its one line (also after the command's own options)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            module = importlib.import_module(module_name)
            module.configure_parser(command_parser)
            command_parser.set_defaults(_run=module.run_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    The one error boundary of the command line: an error spamlab raises on purpose
    (bad input or options) is one line and exit status 2; an operating-system failure
    (a full disk, a read-only folder, a missing file) is one line naming the file and
    status 1; anything else is one line saying it is a bug, status 1. ``--debug``
    (anywhere on the line) shows the traceback instead.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in arguments
    arguments = [argument for argument in arguments if argument != DEBUG_FLAG]
    args = build_parser(arguments[0] if arguments else "").parse_args(arguments)
    try:
        return int(args._run(args))
    except SpamlabError as exc:
        if debug:
            raise
        print(f"spamlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spamlab {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the boundary: one line, the traceback with --debug
        if debug:
            raise
        print(f"spamlab {args.command}: {describe_failure(exc)}", file=sys.stderr)
        return 1


#: shows the traceback of a failure instead of its one line
DEBUG_FLAG = "--debug"


def describe_failure(exc: BaseException) -> str:
    """One line for an exception that is not a :class:`SpamlabError`.

    Examples
    --------
    >>> describe_failure(OSError(28, "No space left on device", "out/events"))
    'failed: No space left on device: out/events (free some space, or choose another place)'
    >>> describe_failure(ValueError("boom"))
    'internal error: ValueError: boom (a bug in spamlab: rerun with --debug for the traceback and report it)'
    """
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        advice = {errno.ENOSPC: "free some space, or choose another place",
                  errno.EACCES: "check the permissions, or choose another place",
                  errno.EROFS: "the file system is read-only: choose another place",
                  errno.ENOTDIR: "a part of the path is a file, not a folder",
                  errno.ELOOP: "a symbolic link loop: remove the link"}.get(
            exc.errno or 0, "rerun with --debug for the details")
        return f"failed: {exc.strerror or exc}{where} ({advice})"
    return (f"internal error: {type(exc).__name__}: {exc} (a bug in spamlab: rerun with "
            f"--debug for the traceback and report it)")

