"""Write the inputs of ``test_identical_outputs.py`` and print their expected output digests.

The inputs are written once into ``tests/ingest/identical/inputs/`` (committed, so a later
change of the synthetic generators does not change them); the digests in ``expected.json`` were
produced by the ingest code of the commit named there, before the speed work of issue 27.

Run from the repository root: ``.venv/bin/python tests/ingest/identical/make_inputs.py``
(``--inputs`` rewrites the inputs too; ``--expected`` rewrites the digests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
INPUTS = HERE / "inputs"
EXPECTED = HERE / "expected.json"
SEVENZIP = HERE.parent / "fixtures" / "sevenzip"

#: name -> (input paths relative to INPUTS, IngestOptions keyword arguments, workers)
CASES: dict[str, tuple[list[str], dict, int]] = {
    "corpus_all_formats": (["corpus"], {"not_after": 1400000000}, 1),
    "corpus_two_workers": (["corpus"], {"not_after": 1400000000, "files_per_task": 7,
                                        "mbox_bytes_per_task": 4096}, 2),
    "corpus_window_tz": (["corpus"], {"not_after": 1400000000, "tz": "America/New_York",
                                      "first_day": "2011-03-05", "last_day": "2011-03-20"}, 1),
    "corpus_filename_time": (["corpus"], {"not_after": 1400000000,
                                          "time_source": "filename"}, 1),
    "corpus_received_time": (["corpus/trap.mbox", "corpus/maildir"],
                             {"not_after": 1400000000, "time_source": "received"}, 1),
    "trap_archive": (["trap"], {"not_after": 1400000000}, 1),
    "trap_archive_window": (["trap"], {"not_after": 1400000000, "first_day": "2011-02-01",
                                       "last_day": "2011-02-28"}, 2),
    "sevenzip_fixtures": (["sevenzip"], {"not_after": 1400000000, "member_limit": 2000}, 1),
    "odd_messages": (["odd"], {"not_after": 1400000000, "header_limit": 600}, 1),
}


def write_inputs() -> None:
    """Generate every input with the synthetic generators (seeded)."""
    from spamlab import testing

    if INPUTS.exists():
        shutil.rmtree(INPUTS)
    INPUTS.mkdir(parents=True)
    testing.write_corpus(INPUTS / "corpus", n_messages=280, seed=27)
    testing.write_trap_archive(INPUTS / "trap", months=[1, 2, 3], per_day=3.0, seed=27)
    shutil.copytree(SEVENZIP, INPUTS / "sevenzip", ignore=shutil.ignore_patterns("*.md"))
    odd = INPUTS / "odd"
    odd.mkdir()
    (odd / "empty.txt").write_bytes(b"")
    (odd / "no_header.txt").write_bytes(b"just a body line\nand another\n")
    (odd / "crlf.txt").write_bytes(
        b"Received: from a by b; Tue, 15 Mar 2011 10:00:00 +0100\r\nSubject: x\r\n\r\nbody\r\n")
    (odd / "date_only.txt").write_bytes(b"Date: Wed, 16 Mar 2011 01:02:03 -0800\n\nbody\n")
    (odd / "no_tz.txt").write_bytes(b"Date: Wed, 16 Mar 2011 01:02:03\n\nbody\n")
    (odd / "future.txt").write_bytes(b"Date: Wed, 16 Mar 2033 01:02:03 +0000\n\nbody\n")
    (odd / "old.txt").write_bytes(b"Date: Wed, 16 Mar 1983 01:02:03 +0000\n\nbody\n")
    (odd / "long_header.txt").write_bytes(
        b"Received: from a by b; Tue, 15 Mar 2011 10:00:00 +0000\n"
        + b"X-Filler: " + b"y" * 900 + b"\n\nbody\n")
    (odd / "folded.txt").write_bytes(
        b"Received: from a\n\tby b;\n Tue, 15 Mar 2011 11:00:00 +0000\n"
        b"Message-ID: <same@x>\n\nbody\n")
    (odd / "dup.txt").write_bytes(
        b"Received: from a by b; Tue, 15 Mar 2011 11:30:00 +0000\nMessage-ID: <same@x>\n\nb\n")
    (odd / "binary.txt").write_bytes(b"\x00\xff\xfe garbage \x80\x81\n\n")
    (odd / "1300286700.12345.host").write_bytes(b"Subject: stamped only\n\nbody\n")


def digests(out: Path) -> dict[str, str]:
    """SHA-256 of each output file (Parquet: of its schema and rows, which pin its bytes)."""
    import pyarrow.parquet as pq

    result = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        if relative.startswith(".spamlab"):
            continue
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            text = json.dumps([str(table.schema), table.to_pylist()], default=str)
            data = text.encode()
        else:
            data = path.read_bytes()
        result[relative] = hashlib.sha256(data).hexdigest()
    return result


def run_case(name: str, folder: Path) -> dict[str, str]:
    """Ingest case ``name`` into ``folder / name`` and return its digests."""
    from spamlab.ingest import IngestOptions, ingest

    paths, options, workers = CASES[name]
    out = folder / name
    ingest([INPUTS / p for p in paths], out, workers=workers, options=IngestOptions(**options))
    return digests(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inputs", action="store_true")
    parser.add_argument("--expected", action="store_true")
    parser.add_argument("--commit", default="")
    args = parser.parse_args()
    if args.inputs:
        write_inputs()
    with tempfile.TemporaryDirectory() as folder:
        found = {name: run_case(name, Path(folder)) for name in CASES}
    if args.expected:
        EXPECTED.write_text(json.dumps({"commit": args.commit, "cases": found}, indent=1,
                                       sort_keys=True) + "\n")
    json.dump(found, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
