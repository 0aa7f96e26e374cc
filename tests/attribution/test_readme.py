"""The README's `attribution` section: its example runs on a panel and an ingest folder."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from attribution_support import events, panel

from doc_pages import documentation_text


def _block() -> str:
    text = documentation_text()
    section = re.search(r"<!-- section: attribution -->(.*?)<!-- /section: attribution -->",
                        text, flags=re.DOTALL)
    assert section, "README has no attribution section"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), flags=re.DOTALL)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = panel(0)
    rng = np.random.default_rng(0)
    data["other"] = data["total"] - data["rustock"] - data["bagle"] - 1 + rng.normal(0, 0.2, 90)
    stop = np.arange(30) < 4
    folder = tmp_path / "ingest-out" / "events" / "month=2011-03"
    folder.mkdir(parents=True)
    events(3, 30, stop).to_parquet(folder / "part-0.parquet")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"panel": data}
    exec(_block(), namespace)  # noqa: S102 - our own README
    acc, found = namespace["acc"], namespace["found"]
    assert acc.residual["unit"] == "per day"  # type: ignore[attr-defined]
    assert set(found.vanished_groups) == {f"10.0.{g}.0/24" for g in range(4)}  # type: ignore[attr-defined]
