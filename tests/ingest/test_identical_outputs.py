"""Ingest writes byte-for-byte what it wrote before the speed work of issue 27.

The inputs (``tests/ingest/identical/inputs/``: every container format of the synthetic
corpus, a trap archive in untroubled.org's layout, the 7-Zip fixtures, and odd messages) and
the expected digests (``tests/ingest/identical/expected.json``) were written by the ingest code
of the commit named in that file, run from a clean export of it; the comparison is with that
independent run, not with today's code. ``make_inputs.py`` there regenerates both.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "identical"
_spec = importlib.util.spec_from_file_location("identical_inputs", HERE / "make_inputs.py")
assert _spec is not None and _spec.loader is not None
make_inputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_inputs)

EXPECTED = json.loads((HERE / "expected.json").read_text())["cases"]


@pytest.mark.parametrize("case", sorted(make_inputs.CASES))
def test_outputs_identical_to_before(case: str, tmp_path: Path) -> None:
    found = make_inputs.run_case(case, tmp_path)
    assert sorted(found) == sorted(EXPECTED[case])
    changed = [name for name in found if found[name] != EXPECTED[case][name]]
    assert not changed, f"{case}: outputs differ from the recorded ones: {changed}"


def test_digests_see_a_changed_count(tmp_path: Path) -> None:
    """The digests notice a one-byte change of an output (so the test above can fail)."""
    make_inputs.run_case("odd_messages", tmp_path)
    counts = tmp_path / "odd_messages" / "daily_counts.csv"
    counts.write_bytes(counts.read_bytes().replace(b",1,", b",2,", 1))
    assert make_inputs.digests(tmp_path / "odd_messages") != EXPECTED["odd_messages"]
