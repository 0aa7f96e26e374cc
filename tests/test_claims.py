"""spamlab.claims: the claims table from hand-made results, checked against the inputs by hand."""

from __future__ import annotations

import copy
import csv

import pytest

from spamlab import claims, figures, paths, report
from spamlab.errors import DataError

HEADLINE = {"before_week_average": {"value": 52.0, "figure_id": 5},
            "after_days": {"value": 33.0, "figure_id": 4},
            "rustock_output": {"value": 13.82, "figure_id": 1}}


def its_fragment(synthetic: bool, estimate: float, fit: str) -> dict:
    return {"synthetic": synthetic, "interruption": "2011-03-16T14:45:00+00:00",
            "unit": "billion messages per day", "fit": fit, "data": "a label",
            "level_change": {"estimate": estimate, "ci_low": estimate - 0.05,
                             "ci_high": estimate + 0.05, "scale": "ratio"}}


def fragments() -> dict[str, dict]:
    """One fragment per notebook, shaped as the notebooks write them."""
    return {
        "01-published-figures": {"synthetic": False, "headline_figures_bn_per_day": HEADLINE},
        "02-rustock-its": its_fragment(True, 0.69, "02's takedown-window fit"),
        "03-the-missing-5-billion": {
            "synthetic": False, "naive_residual_bn_per_day": 5.18, "interval": 0.9,
            "residual_bn_per_day": {"mean": 4.6, "median": 5.02, "low": -4.13, "high": 11.36},
            "residual_by_reading": [{"reading": "stated_output", "figure_ids": [1]}],
            "adjustments": {"weekday": {"figure_ids": [212, 218]}}},
        "04-robustness": {
            "synthetic": True, "placebo": {"real_rank": 1, "n_placebo": 55, "rank_p_value": 1 / 56},
            "minimum_detectable_drop": {"unit": "billion messages per day", "target_power": 0.8,
                                        "by_post_days": {"28": 20.1, "3": 16.9}}},
        "05-your-data": its_fragment(False, 0.54, "05's fit"),
        "06-what-vanished": {"synthetic": True, "attribution": {
            "target": "rustock", "unit": "messages per day",
            "residual": {"estimate": 410.0, "ci_low": 350.0, "ci_high": 470.0, "unit": "per day"}}},
        "07-after-the-takedown": {"synthetic": False, "after_takedown": {
            "published": [{"month": "May 2011", "volume": 41.7, "share_missing": 0.54, "low": 0.3,
                           "high": 0.8, "figure_ids": [5, 4, 250], "kind": "derived",
                           "synthetic": False}],
            "recovery": {"share": 0.5, "estimate": 40.0, "ci_low": 20.0, "ci_high": None,
                         "unit": "days", "bounded": False, "synthetic": True},
            "displacement": [{"source": "bagle", "added": 3.0, "low": 1.0, "high": 5.0,
                              "status": "grew"}]}},
    }


def results() -> dict:
    """A merged results.json built by spamlab.report's own merge, as a run writes it."""
    return report.merge_fragments(fragments().items())


def rows_of(rows: list[dict], notebook: str) -> list[dict]:
    return [row for row in rows if row["notebook"] == notebook]


def test_every_row_has_every_column_a_kind_and_an_interval_kind():
    rows = claims.claims(results())
    assert len(rows) == 4 + 1 + 2 + 1 + 2 + 1 + 1 + 2 + 1 + 1
    for row in rows:
        assert set(row) == set(claims.COLUMNS)
        assert row["kind"] in claims.KINDS and row["interval"] in claims.INTERVALS
        assert row["interval_kind"] == row["interval"]
        assert isinstance(row["claim"], str) and row["claim"]


def test_published_rows_are_the_figures_and_the_fall_is_their_difference():
    rows = rows_of(claims.claims(results()), "01-published-figures")
    published = [(row["value"], row["figure_ids"]) for row in rows if row["kind"] == "published"]
    assert published == [(52.0, [5]), (33.0, [4]), (13.82, [1])]
    (fall,) = [row for row in rows if row["kind"] == "derived"]
    assert fall["value"] == pytest.approx(52.0 - 33.0) and fall["figure_ids"] == [5, 4]
    assert all(row["interval"] == "none" and row["unit"] == "bn/day" for row in rows)


def test_both_level_changes_survive_the_merge_each_with_its_kind():
    merged = results()
    assert merged["level_change"]["estimate"] == 0.54  # the top level kept only 05's
    rows = [row for row in claims.claims(merged) if row["claim"].startswith("Spam after")]
    assert [(row["notebook"], row["kind"], row["value"]) for row in rows] == [
        ("02-rustock-its", "synthetic", 0.69), ("05-your-data", "your data", 0.54)]
    assert all(row["interval"] == "confidence" and row["unit"].startswith("ratio") for row in rows)
    assert rows[0]["low"] == pytest.approx(0.64) and rows[0]["high"] == pytest.approx(0.74)


def test_synthetic_blocks_give_synthetic_rows_and_real_ones_do_not():
    rows = claims.claims(results())
    by_notebook = {nb: {row["kind"] for row in rows_of(rows, nb)} for nb in fragments()}
    assert by_notebook["04-robustness"] == {"synthetic"}
    assert by_notebook["06-what-vanished"] == {"synthetic"}
    assert by_notebook["03-the-missing-5-billion"] == {"derived"}
    flipped = fragments()
    flipped["03-the-missing-5-billion"]["synthetic"] = True
    flipped["04-robustness"]["synthetic"] = False
    rows = claims.claims(report.merge_fragments(flipped.items()))
    assert {row["kind"] for row in rows_of(rows, "03-the-missing-5-billion")} == {"synthetic"}
    assert {row["kind"] for row in rows_of(rows, "04-robustness")} == {"your data"}


def test_residual_is_a_sensitivity_range_over_the_rows_it_uses():
    (rng,) = [row for row in rows_of(claims.claims(results()), "03-the-missing-5-billion")
              if row["interval"] != "none"]
    assert rng["interval"] == "sensitivity range"
    assert (rng["value"], rng["low"], rng["high"]) == (5.02, -4.13, 11.36)
    assert {1, 4, 5, 212, 218} <= set(rng["figure_ids"])
    assert "90%" in rng["claim"]


def test_attribution_unit_says_what_is_counted():
    (row,) = rows_of(claims.claims(results()), "06-what-vanished")
    assert (row["value"], row["low"], row["high"]) == (410.0, 350.0, 470.0)
    assert row["unit"] == "messages per day" and "rustock" in row["claim"]


def test_detectable_drop_rows_in_order_of_days():
    rows = [row for row in claims.claims(results()) if "detectable" in row["claim"]]
    assert [row["value"] for row in rows] == [16.9, 20.1]
    assert "3 days" in rows[0]["claim"] and "80%" in rows[0]["claim"]


def test_after_takedown_rows():
    rows = rows_of(claims.claims(results()), "07-after-the-takedown")
    volume, share, recovery, added = rows
    assert (volume["kind"], volume["value"], volume["figure_ids"]) == ("published", 41.7, [250])
    assert share["interval"] == "sensitivity range" and share["kind"] == "derived"
    assert (share["low"], share["high"]) == (0.3, 0.8)
    assert recovery["kind"] == "synthetic" and recovery["high"] is None  # unbounded above
    assert "no upper end" in recovery["claim"]
    assert added["kind"] == "your data" and "bagle" in added["claim"]
    assert {row["question"] for row in rows} == {claims.LASTED, claims.VOID}
    # a part without its own flag takes its block's (set apart from the notebook's here)
    mixed = fragments()
    del mixed["07-after-the-takedown"]["after_takedown"]["recovery"]["synthetic"]
    mixed["07-after-the-takedown"]["after_takedown"]["synthetic"] = True
    rows = rows_of(claims.claims(report.merge_fragments(mixed.items())), "07-after-the-takedown")
    assert [row["kind"] for row in rows] == ["published", "derived", "synthetic", "synthetic"]


def test_missing_blocks_give_no_rows():
    assert claims.claims({}) == []
    assert claims.claims({"notebooks": {"04-robustness": {"synthetic": True}}}) == []
    partial = fragments()
    del partial["04-robustness"]["placebo"]
    rows = claims.claims(report.merge_fragments(partial.items()))
    assert not any("placebo" in row["claim"] for row in rows)
    assert len(rows) == len(claims.claims(results())) - 1


@pytest.mark.parametrize(("notebook", "path", "key"), [
    ("01-published-figures", ("headline_figures_bn_per_day", "after_days"), "figure_id"),
    ("02-rustock-its", ("level_change",), "ci_low"),
    ("03-the-missing-5-billion", ("residual_bn_per_day",), "high"),
    ("04-robustness", ("placebo",), "real_rank"),
    ("04-robustness", ("minimum_detectable_drop",), "by_post_days"),
    ("06-what-vanished", ("attribution", "residual"), "estimate"),
    ("07-after-the-takedown", ("after_takedown", "recovery"), "bounded"),
])
def test_a_present_block_without_a_needed_key_is_a_clear_error(notebook, path, key):
    broken = copy.deepcopy(fragments())
    holder = broken[notebook]
    for step in path:
        holder = holder[step]
    del holder[key]
    with pytest.raises(DataError, match=rf"notebook {notebook}: block '{path[0]}.*'{key}'"):
        claims.claims(report.merge_fragments(broken.items()))


def test_a_block_without_a_synthetic_flag_is_refused():
    bare = {"notebooks": {"04-robustness": {"placebo": {"real_rank": 1, "n_placebo": 9,
                                                         "rank_p_value": 0.1}}}}
    with pytest.raises(DataError, match="04-robustness.*'placebo'.*synthetic"):
        claims.claims(bare)


def test_a_value_that_is_no_number_is_refused():
    broken = fragments()
    broken["04-robustness"]["placebo"]["real_rank"] = "first"
    with pytest.raises(DataError, match=r"placebo\['real_rank'\] is 'first'"):
        claims.claims(report.merge_fragments(broken.items()))


def test_results_without_notebooks_are_read_from_the_top_level():
    rows = claims.claims({"placebo": {"real_rank": 2, "n_placebo": 9, "rank_p_value": 0.2,
                                      "synthetic": True}})
    assert [(row["value"], row["notebook"], row["unit"]) for row in rows] == [(2.0, "", "rank among 10 dates")]


def test_with_claims_adds_the_rows_and_leaves_the_results_alone(tmp_path):
    for notebook, fragment in fragments().items():
        report.write_fragment(tmp_path, notebook, fragment)
    written = report.write_results(tmp_path)  # results.json carries its claims
    assert written["claims"] and written["claims"] == claims.claims(written)
    bare = {key: value for key, value in written.items() if key != "claims"}
    before = copy.deepcopy(bare)
    out = claims.with_claims(bare)
    assert bare == before and out["claims"] == written["claims"]
    assert {key: value for key, value in out.items() if key != "claims"} == bare


def test_figure_urls_match_the_csv():
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        expected = {int(row["id"]): row["url"] for row in csv.DictReader(handle)}
    assert claims.figure_urls(figures.load()) == expected


def test_a_block_the_claims_cannot_read_is_a_warning_of_the_run_not_its_end(tmp_path):
    report.write_fragment(tmp_path, "02-rustock-its", {
        "synthetic": True, "level_change": {"estimate": 0.7, "scale": "ratio"}})  # no interval
    written = report.write_results(tmp_path)
    assert written["claims"] == []
    assert any(w["notebook"] == "claims" and "level_change" in w["message"]
               for w in written["warnings"])


def test_the_index_leads_with_the_latest_month_and_a_source_that_stepped_in():
    """How long did the fall last: June, not the first window; who filled the void: the source
    that stepped in, not the biggest change."""
    from spamlab import index_page

    months = [{"month": m, "volume": v, "share_missing": s, "low": s - 0.2, "high": s + 0.2,
               "figure_ids": [5, 4, i], "kind": "derived", "synthetic": False}
              for m, v, s, i in [("17 Mar - 15 Apr 2011", 32.0, 1.05, 362),
                                 ("April 2011", 36.9, 0.79, 249), ("June 2011", 39.2, 0.67, 251),
                                 ("17 Mar - 31 Dec 2011", 36.9, 0.79, 142)]]
    moved = [{"source": "stepper", "added": -83.7, "low": -106.0, "high": -60.9, "status": "fell"},
             {"source": "filler", "added": 27.6, "low": 16.3, "high": 38.8,
              "status": "stepped in"}]
    results = {"notebooks": {"07-after-the-takedown": {"synthetic": True, "after_takedown": {
        "synthetic": True, "published": months, "displacement": moved, "unit": "per day"}}}}
    leads = dict(index_page.lead_claims(claims.claims(results)))
    assert leads[claims.LASTED]["claim"].endswith("June 2011")
    assert "filler" in leads[claims.VOID]["claim"]
