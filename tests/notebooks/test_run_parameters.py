"""`spamlab run`: bad parameters fail fast, before any notebook starts, with clear messages."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from doc_pages import documentation_text
from spamlab import notebooks, report
from spamlab.cli import main
from spamlab.cli import run as cli_run
from spamlab.errors import DataError, ParameterError


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_run.configure_parser(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def daily_csv(tmp_path: Path) -> Path:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    path = tmp_path / "server.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "spam": np.arange(60) + 100}).to_csv(
        path, index=False)
    return path


def test_default_plan_runs_the_story_into_reports_rustock(tmp_path):
    plan = cli_run.plan_run(_args("--reports-dir", str(tmp_path)))
    assert plan.notebooks == notebooks.STORY
    assert plan.out_dir == tmp_path / "rustock"
    assert plan.parameters["data"] is None
    assert plan.parameters["interruption"] == "2011-03-16T14:45:00+00:00"
    assert plan.parameters["interruptions"][0].startswith("2010-12-25")
    assert plan.parameters["interruptions"][-1] == "2011-03-16T14:45:00+00:00"


def test_user_data_plan_runs_02_04_05_with_utc_interruption(tmp_path, daily_csv):
    plan = cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                              "--interruption", "2024-02-01 09:00", "--tz", "Europe/Berlin",
                              "--name", "mine", "--reports-dir", str(tmp_path)))
    assert plan.notebooks == notebooks.YOUR_DATA
    assert plan.out_dir == tmp_path / "mine"
    assert plan.parameters["interruptions"] == ["2024-02-01T08:00:00+00:00"]  # 09:00 CET = 08:00 UTC
    assert "pause_interruptions" not in plan.parameters


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ParameterError, match=r"--data .*nope\.csv: file not found"):
        cli_run.plan_run(_args("--data", str(tmp_path / "nope.csv"), "--interruption", "2024-02-01"))


def test_unknown_column_lists_the_available_ones(tmp_path, daily_csv):
    with pytest.raises(DataError, match=r"value column 'count' not found.*\['day', 'spam'\]"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day",
                           "--interruption", "2024-02-01", "--reports-dir", str(tmp_path)))


@pytest.mark.parametrize("moment", ["2023-12-31", "2024-01-01", "2024-03-01 00:00:01"])
def test_interruption_outside_the_data_is_refused(tmp_path, daily_csv, moment):
    with pytest.raises(ParameterError, match=r"outside the data of server\.csv, which covers "
                                             r"2024-01-01T00:00:00\+00:00 to 2024-03-01"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                           "--interruption", moment, "--reports-dir", str(tmp_path)))


def test_interruption_too_close_to_the_end_is_refused(tmp_path, daily_csv):
    with pytest.raises(ParameterError, match=r"--interruption 2024-02-29 12:00: .*post"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                           "--interruption", "2024-02-29 12:00", "--reports-dir", str(tmp_path)))


def test_interruption_required_and_parsed(tmp_path, daily_csv):
    base = ["--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
            "--reports-dir", str(tmp_path)]
    with pytest.raises(ParameterError, match="--interruption is required"):
        cli_run.plan_run(_args(*base))
    with pytest.raises(ParameterError, match="'last tuesday' is not a date"):
        cli_run.plan_run(_args(*base, "--interruption", "last tuesday"))
    with pytest.raises(ParameterError, match="--tz='Mars/Olympus' is not a known time zone"):
        cli_run.parse_timestamp("2024-02-01", "Mars/Olympus")


def test_data_options_without_data_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="--interruption and --value-col only make sense with --data"):
        cli_run.plan_run(_args("--interruption", "2011-03-16", "--value-col", "n"))
    with pytest.raises(ParameterError, match="^--sep only makes sense with --data FILE$"):
        cli_run.plan_run(_args("--sep", ";"))


def test_bad_run_name_and_unknown_notebook_and_parameter(tmp_path):
    with pytest.raises(ParameterError, match="run name '../x' is not usable"):
        cli_run.plan_run(_args("--name", "../x", "--reports-dir", str(tmp_path)))
    with pytest.raises(ParameterError, match=r"--only \['09'\]: not among this run's notebooks"):
        cli_run.plan_run(_args("--only", "09", "--reports-dir", str(tmp_path)))
    with pytest.raises(ParameterError, match=r"--parameter \['n_bogus'\]: no notebook of this run"):
        cli_run.plan_run(_args("-p", "n_bogus=3", "--reports-dir", str(tmp_path)))
    with pytest.raises(ParameterError, match="expected KEY=VALUE"):
        cli_run.parse_parameters(["no equals sign"])


def test_only_selects_by_number_in_planned_order(tmp_path):
    plan = cli_run.plan_run(_args("--only", "04", "01", "--reports-dir", str(tmp_path)))
    assert plan.notebooks == ("01-published-figures", "04-robustness")


def test_parameters_parse_json_else_text():
    assert cli_run.parse_parameters(["n=10", "ratio=0.5", "on=true", "label=my server", "xs=[1,2]"]) == {
        "n": 10, "ratio": 0.5, "on": True, "label": "my server", "xs": [1, 2]}


def test_a_foreign_kernel_is_refused(tmp_path, monkeypatch):
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": ["/usr/bin/some-other-python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "other", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(ParameterError, match="starts /usr/bin/some-other-python, not this environment"):
        notebooks.check_kernel()


def test_the_venv_kernel_is_accepted():
    notebooks.check_kernel()  # raises if python3 would start another interpreter


def test_results_merge_keeps_every_fragment_and_later_notebooks_win(tmp_path):
    report.write_fragment(tmp_path, "02-rustock-its", {"level_change": {"estimate": 0.5}, "x": 1,
                                                        "synthetic": True})
    report.write_fragment(tmp_path, "05-your-data", {"level_change": {"estimate": np.float64(0.7)},
                                                      "synthetic": False})
    merged = report.write_results(tmp_path, ["02-rustock-its", "05-your-data"], extra={"run": "r"})
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == merged
    assert merged["level_change"] == {"estimate": 0.7, "synthetic": False} and merged["x"] == 1 and merged["run"] == "r"
    assert merged["notebooks"]["02-rustock-its"]["level_change"] == {"estimate": 0.5,
                                                                   "synthetic": True}


def test_jsonable_turns_nan_and_numpy_into_plain_json():
    converted = report.jsonable({"a": np.float64("nan"), "b": np.int64(3), "c": (1, np.bool_(True)),
                                 "d": pd.Timestamp("2011-03-16 14:45", tz="UTC")})
    assert converted == {"a": None, "b": 3, "c": [1, True], "d": "2011-03-16T14:45:00+00:00"}
    json.dumps(converted, allow_nan=False)


def test_figure_names_must_say_what_they_show(tmp_path):
    fig = plt.figure()
    with pytest.raises(ParameterError, match="lowercase words joined by hyphens"):
        report.save_figure(fig, tmp_path, "Figure 1.png")
    saved = report.save_figure(fig, tmp_path, "rustock-counterfactual-synthetic")
    assert saved.figure is fig and saved.path == tmp_path / "figures" / "rustock-counterfactual-synthetic.png"
    assert (tmp_path / "figures" / "rustock-counterfactual-synthetic.png").stat().st_size > 1000
    assert not plt.get_fignums()  # detached from pyplot: a notebook shows it once


def test_versions_name_the_interpreter():
    table = report.versions()
    row = dict(zip(table["package"], table["version"], strict=True))
    assert row["executable"].endswith("python") or "python" in row["executable"]
    assert row["numpy"] == np.__version__ and row["pandas"] == pd.__version__


def test_the_command_line_prints_one_clear_line_and_exits_2(tmp_path, daily_csv, capsys):
    status = main(["run", "--data", str(daily_csv), "--date-col", "day", "--value-col", "spamz",
                   "--interruption", "2024-02-01", "--reports-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("spamlab run: error: ") and err.count("\n") == 1
    assert "value column 'spamz' not found; available columns: ['day', 'spam']" in err
    assert not (tmp_path / "server").exists()  # nothing started


def test_the_readme_commands_parse_and_name_real_notebooks():
    text = documentation_text()
    section = text.split("<!-- section: notebooks -->")[1].split("<!-- /section: notebooks -->")[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL).group(1)
    lines = [line.split("#")[0] for line in block.replace("\\\n", " ").splitlines()]
    commands = [line for line in lines if line.strip()]
    assert len(commands) == 3
    for command in commands:
        argv = shlex.split(command)
        assert argv[:2] == ["spamlab", "run"]
        args = _args(*argv[2:])
        assert cli_run.select_notebooks(notebooks.STORY if args.data is None
                                    else notebooks.YOUR_DATA, args.only)
    for name in notebooks.STORY + ("05-your-data",):
        assert f"`{name}`" in section


def test_interruption_two_days_before_the_end_is_refused(tmp_path, daily_csv):
    # 60 days to 29 Feb: 27 Feb leaves 3 observed days, which the fit alone would accept
    with pytest.raises(ParameterError, match=r"--interruption 2024-02-27: only 3 observed point\(s\) "
                                             r"after .*\(a run needs 14 observed days before and 7 after\)"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                               "--interruption", "2024-02-27", "--reports-dir", str(tmp_path)))
    with pytest.raises(ParameterError, match=r"only 9 observed point\(s\) before"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                               "--interruption", "2024-01-10", "--reports-dir", str(tmp_path)))


def test_several_interruptions_are_sorted_and_the_last_is_reported(tmp_path, daily_csv):
    plan = cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                                  "--interruption", "2024-02-10", "--interruption", "2024-01-20",
                                  "--reports-dir", str(tmp_path)))
    assert plan.parameters["interruptions"] == ["2024-01-20T00:00:00+00:00",
                                                "2024-02-10T00:00:00+00:00"]


def test_a_german_semicolon_export_with_gaps_reads_from_the_command_line(tmp_path):
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    lines = ["Datum;Spam;Ham"] + [f"{d:%d.%m.%Y};{1000 + i},5;{i}" for i, d in enumerate(days)
                                  if i not in (20, 21, 33)]  # days missing before the interruption
    path = tmp_path / "Export M\u00e4rz.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    plan = cli_run.plan_run(_args("--data", str(path), "--date-col", "Datum", "--value-col", "Spam",
                                  "--encoding", "cp1252", "--interruption", "2024-02-10",
                                  "--reports-dir", str(tmp_path)))
    reading = plan.parameters["reading"]
    assert reading["encoding"] == "cp1252" and "sep" not in reading  # sniffed
    assert plan.out_dir == tmp_path / "Export-Marz"  # the file's stem, made a folder name


def test_reading_options_reach_the_notebooks(tmp_path, daily_csv):
    plan = cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                                  "--interruption", "2024-02-01", "--sep", ",", "--decimal", ".",
                                  "--date-format", "%Y-%m-%d", "--on-bad-rows", "drop",
                                  "--aggregate", "sum", "--ambiguous", "earlier",
                                  "--nonexistent", "shift_forward", "--min-coverage", "0.5",
                                  "--reports-dir", str(tmp_path)))
    # one parameter, `reading`, carries the reading options given to the notebooks
    assert plan.parameters["reading"] == {
        "sep": ",", "decimal": ".", "date_format": "%Y-%m-%d",
        "on_bad_rows": "drop", "aggregate": "sum", "ambiguous": "earlier",
        "nonexistent": "shift_forward"}
    assert plan.parameters["exposure_col"] is None and plan.parameters["min_coverage"] == 0.5
    assert not set(plan.parameters) & {"sep", "decimal", "date_format", "on_bad_rows"}


def test_an_interruption_at_a_dst_change_is_one_clear_error(tmp_path, daily_csv):
    with pytest.raises(ParameterError, match=r"--interruption='2024-03-31 02:30' is a nonexistent "
                                             r"local time in Europe/Berlin"):
        cli_run.plan_run(_args("--data", str(daily_csv), "--date-col", "day", "--value-col", "spam",
                               "--interruption", "2024-03-31 02:30", "--tz", "Europe/Berlin",
                               "--reports-dir", str(tmp_path)))


def test_run_folder_options_are_checked(tmp_path, monkeypatch):
    with pytest.raises(ParameterError, match=r"run name 'mine\\n' is not usable"):
        cli_run.plan_run(_args("--name", "mine\n", "--reports-dir", str(tmp_path)))
    monkeypatch.chdir(tmp_path)
    plan = cli_run.plan_run(_args("--reports-dir", "out"))
    assert plan.out_dir == tmp_path / "out" / "rustock"  # absolute: kernels run in other folders
    assert plan.parameters["reports_dir"] == str(tmp_path / "out")
    with pytest.raises(ParameterError, match=r"--parameter reports_dir \(use --reports-dir\)"):
        cli_run.plan_run(_args("-p", "reports_dir=/elsewhere"))
    with pytest.raises(ParameterError, match=r"run_name \(use --name\)"):
        cli_run.plan_run(_args("-p", "run_name=other"))
