"""The ``spamlab`` dispatcher: each subcommand's module is imported only when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spamlab.cli import COMMANDS, build_parser

_PROBE = """
import contextlib, io, json, sys
from spamlab.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:])
print(json.dumps(sorted(name for name in sys.modules if name.startswith("spamlab.cli."))))
"""


@pytest.mark.parametrize(("argv", "expected"), [
    (["--help"], []),
    (["ingest", "--help"], ["spamlab.cli.ingest"]),
    (["fetch", "--help"], ["spamlab.cli.fetch"]),
])
def test_only_the_named_subcommand_is_imported(argv: list[str], expected: list[str]) -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == expected


SAMPLE_ARGV = {
    "ingest": ["ingest", "trap.mbox", "--out", "counts"],
    "fetch": ["fetch", "untroubled", "--months", "2011-01", "--dest", "archives"],
    "run": ["run"],
}


def test_every_subcommand_module_configures_its_parser_and_runner() -> None:
    assert set(SAMPLE_ARGV) == set(COMMANDS)
    parser = build_parser()  # every subcommand configured
    for name, argv in SAMPLE_ARGV.items():
        args = parser.parse_args(argv)
        assert args.command == name
        assert args._run.__module__ == COMMANDS[name][0]
