"""The naming pass (issue 26): old names still work for one release and warn with the new
name; new names are the same objects; one keyword for the moment of a stop; synthetic data
asked for by name; ``report.Run`` saves the figures the notebooks saved before; ``__all__``
lists every public name a module defines."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from spamlab import attribution, deprecation, inputs, report, residual, scenario
from spamlab.errors import ParameterError

SRC = Path(__file__).resolve().parents[1] / "src" / "spamlab"
CUT = "2011-03-16 14:45"

#: (module, old name, new name): each old name is the new object, reached with a warning
RENAMED = [
    (residual, "account", "account_from_figures"),
    (residual, "Accounting", "FiguresAccounting"),
    (residual, "sensitivity", "assumption_sensitivity"),
    (attribution, "account", "account_by_source"),
    (attribution, "Accounting", "SourceAccounting"),
    (scenario, "power", "second_source_power"),
    (scenario, "engine_power", "power_by_noise"),
]


@pytest.mark.parametrize(("module", "old", "new"), RENAMED,
                         ids=[f"{m.__name__}.{old}" for m, old, _ in RENAMED])
def test_old_name_is_the_new_object_with_a_warning_naming_it(module, old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"{module.__name__}\.{old} is deprecated.*"
                                                rf"use {module.__name__}\.{new}$"):
        value = getattr(module, old)
    assert value is getattr(module, new)
    assert new in module.__all__ and old not in module.__all__


def test_the_two_accountings_now_have_distinct_names() -> None:
    assert residual.FiguresAccounting is not attribution.SourceAccounting
    assert residual.account_from_figures is not attribution.account_by_source
    assert not set(residual.__all__) & set(attribution.__all__)


def test_unknown_names_still_raise_attribute_error() -> None:
    for module in (residual, attribution, scenario):
        with pytest.raises(AttributeError, match="no_such_name"):
            module.no_such_name  # noqa: B018


def stopping_events(seed: int = 0) -> pd.DataFrame:
    """Two /24 networks of mail over 30 days; the first stops at :data:`CUT`."""
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp("2011-03-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.uniform(0, 30, 3000)), unit="D")
    ip = np.where(rng.random(3000) < 0.5, "10.0.0.1", "10.0.9.1")
    mail = pd.DataFrame({"arrival": stamps, "sender_ip": ip})
    return mail[~((mail["sender_ip"] == "10.0.0.1") & (mail["arrival"] >= CUT))]


def test_vanished_old_name_and_keyword_warn_and_find_the_same_groups() -> None:
    mail = stopping_events()
    new = attribution.vanished_groups(mail, interruption=CUT, by="sender_net")
    with pytest.warns(DeprecationWarning) as seen:
        old = attribution.vanished(mail, at=CUT, by="sender_net")
    messages = [str(w.message) for w in seen]
    assert any(m.endswith("use spamlab.attribution.vanished_groups") for m in messages)
    assert any("vanished_groups(at=...)" in m and "use interruption=..." in m for m in messages)
    pd.testing.assert_frame_equal(old.groups, new.groups)
    assert new.groups.set_index("group").loc["10.0.0.0/24", "status"] == "vanished"


def panel() -> pd.DataFrame:
    """60 days; ``a`` stops on 16 March, ``b`` stays; the total is both plus a rest."""
    days = pd.date_range("2011-02-01", periods=60, tz="UTC")
    rng = np.random.default_rng(3)
    after = (days >= "2011-03-16").astype(float)
    data = pd.DataFrame({"a": 14 * (1 - after) + abs(rng.normal(0, 0.3, 60)),
                         "b": 8 + rng.normal(0, 0.3, 60)}, index=days)
    data["total"] = data["a"] + data["b"] + 30 + rng.normal(0, 0.3, 60)
    return data


def test_account_by_source_accepts_at_with_a_warning_and_the_same_numbers() -> None:
    common = {"total": "total", "sources": ["a", "b"], "target": "a", "slope_change": False,
              "errors": "iid", "seasonality": None}
    new = attribution.account_by_source(panel(), interruption="2011-03-16", **common)
    with pytest.warns(DeprecationWarning, match=r"account_by_source\(at=\.\.\.\).*interruption="):
        old = attribution.account_by_source(panel(), at="2011-03-16", **common)
    pd.testing.assert_frame_equal(old.sources, new.sources)
    with pytest.raises(ParameterError, match="give interruption= only"):
        attribution.account_by_source(panel(), at="2011-03-16", interruption="2011-03-16",
                                      **common)


def test_read_daily_without_a_file_warns_and_names_synthetic_daily() -> None:
    with pytest.warns(DeprecationWarning, match=r"inputs\.synthetic_daily\(\)"):
        quiet = inputs.read_daily(None)  # type: ignore[arg-type]
    named = inputs.synthetic_daily()
    assert named.synthetic and quiet.synthetic
    pd.testing.assert_frame_equal(quiet.frame, named.frame)
    assert named.figure_name("counterfactual") == "rustock-counterfactual-synthetic"


def test_read_daily_requires_its_file_argument() -> None:
    with pytest.raises(TypeError, match="data"):
        inputs.read_daily()  # type: ignore[call-arg]


def test_read_sources_without_data_or_events_warns_and_makes_the_named_trap(monkeypatch) -> None:
    made: list[tuple] = []

    def fake_trap(folder: Path, moment: str, by: str, seed: int, scale: float) -> str:
        made.append((moment, by, seed, scale))
        return "trap"

    monkeypatch.setattr(inputs, "_synthetic_trap", fake_trap)
    with pytest.warns(DeprecationWarning, match=r"inputs\.synthetic_sources\(interruption\)"):
        assert inputs.read_sources(interruption=CUT, seed=4, scale=0.5) == "trap"
    assert inputs.synthetic_sources(CUT, seed=4, scale=0.5) == "trap"
    assert made[0] == made[1] == ("2011-03-16T14:45:00+00:00", "sender_net", 4, 0.5)


def test_deprecated_alias_warns_with_both_names_and_wraps_the_new_function() -> None:
    def shiny(x: int) -> int:
        return 2 * x

    old = deprecation.deprecated_alias(shiny, "rusty", module="pkg", removal="9.9")
    with pytest.warns(DeprecationWarning) as seen:
        assert old(4) == 8
    assert str(seen[0].message) == ("pkg.rusty is deprecated and will be removed in spamlab 9.9: "
                                    "use pkg.shiny")
    assert seen[0].filename == __file__  # the warning points at the caller
    assert old.__wrapped__ is shiny and old.__name__ == "rusty"


def test_renamed_keyword_passes_other_keywords_through_without_warning() -> None:
    @deprecation.renamed_keywords(at="interruption")
    def moment(*, interruption: str, label: str = "") -> str:
        return interruption + label

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert moment(interruption="x", label="!") == "x!"
    with pytest.warns(DeprecationWarning):
        assert moment(at="y") == "y"


# the figures each notebook saved before report.Run: (figure name passed to inputs, or the
# file name itself for figures of the published table)
DATA_FIGURES = ["daily-volume", "counterfactual", "residual-diagnostics", "daily-volume-as-read",
                "counterfactual-whole-series", "residual-diagnostics-whole-series",
                "sources-daily", "sources-against-counterfactual", "residual-with-interval",
                "total-recovery"]
PUBLISHED_FIGURES = ["published-rustock-share-of-spam", "missing-5-billion-waterfall",
                     "scenario-combined-by-source-synthetic", "after-takedown-share-of-fall-missing"]


def data_inputs(tmp_path: Path) -> list[inputs.DailyInput]:
    """A file's input, the scenario's (as read_daily gave it) and the synthetic trap's."""
    path = tmp_path / "My Server.csv"
    days = pd.date_range("2024-01-01", periods=20, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": days, "count": range(20)}).to_csv(path, index=False)
    scenario_like = inputs.DailyInput(pd.DataFrame(), "SYNTHETIC scenario", True, "bn/day",
                                      "rustock", "total_synthetic")
    trap_like = inputs.SourcesInput(pd.DataFrame(), "SYNTHETIC trap", True, "messages per day",
                                    "trap", "total", ("vanished",), "vanished")
    return [inputs.read_daily(path), scenario_like, trap_like]


def test_run_saves_the_file_names_and_titles_the_notebooks_saved_before(tmp_path: Path) -> None:
    for number, inp in enumerate(data_inputs(tmp_path)):
        before, after = tmp_path / f"before-{number}", tmp_path / f"after-{number}"
        run = report.Run.start("lab", after, data=inp)
        for what in DATA_FIGURES:
            old = report.save_figure(plt.figure(), report.run_dir("lab", before),
                                     inp.figure_name(what))
            new = run.save(plt.figure(), what)
            assert new.path.name == old.path.name and new.path.is_file()
            assert new.path.parent == Path(after) / "lab" / "figures"
            title = "Daily spam volume"
            assert run.title(title) == title + inp.title_tag
        assert sorted(p.name for p in (before / "lab" / "figures").iterdir()) == sorted(
            p.name for p in (after / "lab" / "figures").iterdir())
    names = {inp.slug: inp.figure_name("daily-volume") for inp in data_inputs(tmp_path)}
    assert names == {"my-server": "my-server-daily-volume",
                     "rustock": "rustock-daily-volume-synthetic",
                     "trap": "trap-daily-volume-synthetic"}


def test_run_without_data_keeps_names_and_titles_as_given(tmp_path: Path) -> None:
    run = report.Run.start("lab", tmp_path)
    for name in PUBLISHED_FIGURES:
        assert run.save(plt.figure(), name).path == tmp_path / "lab" / "figures" / f"{name}.png"
    assert run.title("Published shares") == "Published shares" and run.tag == ""
    with pytest.raises(ParameterError, match="lowercase words"):
        run.save(plt.figure(), "Not A Name")
    plt.close("all")


def test_run_is_the_run_folder_for_the_other_report_functions(tmp_path: Path) -> None:
    run = report.Run.start("lab", tmp_path)
    fragment = report.write_fragment(run, "01-published-figures", {"synthetic": False})
    assert fragment.parent == tmp_path / "lab" / "fragments"
    assert run / "residual_table.csv" == tmp_path / "lab" / "residual_table.csv"
    assert run.with_data(None).folder == run.folder


OWNED_MODULES = ["spamlab", "spamlab.deprecation", "spamlab.inputs", "spamlab.its",
                 "spamlab.residual", "spamlab.attribution", "spamlab.attribution.accounting",
                 "spamlab.attribution.vanished", "spamlab.scenario",
                 "spamlab.scenario.calibration", "spamlab.scenario.comparison",
                 "spamlab.scenario.constraints", "spamlab.scenario.model"]


def defined_public_names(module_name: str) -> set[str]:
    """Public functions, classes and UPPER_CASE constants a module's own source defines."""
    path = Path(sys.modules[module_name].__file__ or "")
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("module_name", OWNED_MODULES)
def test_every_module_lists_its_public_names_in_all(module_name: str) -> None:
    importlib.import_module(module_name)
    module = sys.modules[module_name]
    exported = set(module.__all__)
    assert all(hasattr(module, name) for name in exported)
    missing = defined_public_names(module_name) - exported - {"F", "vanished"}
    assert not missing, f"{module_name}: public but not in __all__: {sorted(missing)}"


@pytest.mark.parametrize("old", ["daily_series", "monthly_rates", "placebo_dates",
                                 "published_by_vendor", "published_periods",
                                 "hypotheses_side_by_side"])
def test_figure_functions_are_plot_what_and_the_old_names_warn(old: str) -> None:
    from spamlab import plots

    alias, new = getattr(plots, old), getattr(plots, f"plot_{old}")
    assert alias.__wrapped__ is new and new.__name__ == f"plot_{old}"
    with pytest.warns(DeprecationWarning, match=f"plot_{old}"), pytest.raises(TypeError):
        alias()  # the alias warns, then reaches the new function (which wants arguments)


def test_plot_result_is_now_plot_its() -> None:
    from spamlab import plots

    assert plots.plot_result.__wrapped__ is plots.plot_its
    current = [name for name in plots.__all__
               if not (getattr(plots, name).__doc__ or "").startswith("Deprecated alias")]
    helpers = {"drawn_rows", "published_rows", "sources_table", "theme"}  # no figure
    assert len(current) > 10
    assert [name for name in current if name not in helpers and not name.startswith("plot_")] == []
