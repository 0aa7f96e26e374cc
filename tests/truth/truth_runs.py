"""Run the ``spamlab`` command on a :mod:`truth_trap` world as a user would, and judge each run.

The contract judged here (issue 21): a run either exits 0 with an interval that holds the
world's truth, or exits 2 with a message that says what to do (an option to pass, a format to
give). A user who is told to pass an option passes it, literally, and the contract applies to
that run too. Anything else is a failure: an exit 0 whose interval misses the truth (the
worst outcome, a confident wrong number), a refusal that gives no advice, a crash.

*Holds the truth* means: inside the reported 95% interval widened to twice its half-width
(on the log scale for ratios), and, if outside the interval itself, by no more than a small
material margin (10% for a ratio; a tenth of the daily volume for the residual). Twenty seeds
and four runs each would see a few honest 95% intervals miss by chance; the widening (about a
99.99% interval) forgives those, and the margin keeps a wide interval from excusing an estimate
that is materially off. Answers must also speak only of days the input has, name the stopped
botnet's networks as the vanished groups, and keep ratio bounds at or above 0.

Run ``.venv/bin/python tests/truth/truth_runs.py [--control] [SEED ...]`` for the per-seed
table (``--control``: the clean worlds, which every run should answer right); with
``PYTHONPATH=/path/to/other/checkout/src`` the command line of that checkout is judged.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import truth_trap

#: Run cases, each a notebook answering from one input of the world.
CASES = ("trap-daily-05", "trap-events-06", "us-daily-05", "hourly-05")
#: Options a refusal may tell the user to pass, and the values each accepts (None: any quoted).
ADVICE_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "--date-format": None, "--tz": None, "--sep": None, "--exposure-col": None,
    "--on-bad-rows": ("raise", "drop"), "--aggregate": ("sum", "mean", "median", "min", "max"),
    "--decimal": None, "--time-source": ("auto", "received", "filename"),
}
#: How many times a user follows advice before giving up (each rerun is judged too).
FOLLOW_LIMIT = 3
#: Runs of one seed executed at once (the machine has two cores).
PARALLEL = 2
_ADVICE = re.compile(r"(--[a-z][a-z-]+)(?:\s*=\s*|\s+\(e\.g\.\s*|\s+)?"
                     r"('[^']*'|\"[^\"]*\"|[A-Za-z0-9_./:%+-]+)?")
#: Largest miss beyond a reported interval's nearer end still forgiven: 0.1 on the log
#: scale for ratios (about 10%), a tenth of the trap's daily volume for the residual.
RATIO_MARGIN = 0.1
RESIDUAL_MARGIN = 0.1
#: Days of leeway when comparing a run's day counts with the input's (a zone's edge day).
SPAN_SLACK = 1
_WINDOW = re.compile(r"(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")


@dataclass
class Run:
    """One command and its verdict."""

    argv: list[str]
    code: int
    seconds: float
    message: str
    verdict: str = ""  # right | refused | WRONG | no-advice | crashed | unreadable
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    truth: float = math.nan
    strict: bool | None = None  # truth inside the 95% interval itself


@dataclass
class Case:
    """A case of one seed: the runs a user makes, following advice, and the outcome."""

    seed: int
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wrong(self) -> list[Run]:
        """Runs that broke the contract (any of the user's attempts)."""
        return [r for r in self.runs if r.verdict not in ("right", "refused")]

    @property
    def outcome(self) -> str:
        """The verdict of the last attempt, or the first broken contract."""
        return self.wrong[0].verdict if self.wrong else self.runs[-1].verdict


def spamlab_command() -> list[str]:
    """The ``spamlab`` console script beside this interpreter (what a user types)."""
    script = Path(sys.executable).with_name("spamlab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "spamlab.cli"]


def execute(argv: list[str], cwd: Path) -> Run:
    """Run a command; keep its exit code, time and stderr + stdout text."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    done = subprocess.run([*spamlab_command(), *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    return Run(argv, done.returncode, time.perf_counter() - start,
               (done.stderr + "\n" + done.stdout).strip())


def advice(message: str, argv: list[str]) -> list[str]:
    """The options a refusal tells the user to pass, not already passed with that value.

    Examples
    --------
    >>> advice("pass --date-format (e.g. '%d/%m/%Y') ... or pass --on-bad-rows drop to drop", [])
    ['--date-format', '%d/%m/%Y', '--on-bad-rows', 'drop']
    """
    extra: list[str] = []
    for option, raw in _ADVICE.findall(message):
        if option not in ADVICE_OPTIONS or not raw or option in extra:
            continue
        quoted = raw[:1] in "'\"" and raw[-1:] == raw[:1] and len(raw) > 1
        value = raw[1:-1] if quoted else raw
        allowed = ADVICE_OPTIONS[option]
        if (allowed is None and not quoted) or (allowed is not None and value not in allowed):
            continue
        if any(a == option and b == value for a, b in itertools.pairwise(argv)):
            continue
        extra += [option, value]
    return extra


def judge_refusal(run: Run) -> None:
    """Exit 2 with advice is a refusal; exit 2 without, or any other code, breaks the contract."""
    says_what = re.search(r"--[a-z]|pass |give |use |set |format|rename|remove|fix ",
                          run.message, re.IGNORECASE)
    if run.code == 2:
        run.verdict = "refused" if says_what else "no-advice"
    else:
        run.verdict = "crashed"


def inside(truth: float, low: float, high: float, log: bool,
           margin: float = math.inf) -> tuple[bool, bool]:
    """(truth in the interval, the answer holds the truth closely enough to be right).

    Right means: the truth lies in the interval widened to twice its half-width, and, when
    it lies outside the interval itself, no further beyond its nearer end than ``margin``
    (on the log scale for ratios). The first rule forgives a chance miss, the second keeps a
    wide interval from excusing a materially wrong estimate.

    Examples
    --------
    >>> inside(0.6, 0.5, 0.58, log=True), inside(0.3, 0.5, 0.58, log=True)
    ((False, True), (False, False))
    >>> inside(0.44, 0.192, 0.346, log=True), inside(0.44, 0.192, 0.346, log=True, margin=0.1)
    ((False, True), (False, False))
    """
    if not all(map(math.isfinite, (truth, low, high))) or (log and min(truth, low, high) <= 0):
        return False, False
    scale = math.log if log else float
    t, lo, hi = scale(truth), scale(low), scale(high)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    beyond = max(lo - t, t - hi, 0.0)
    return beyond == 0, abs(t - centre) <= 2 * half and beyond <= margin


def judge_answer(run: Run, results: Path, world: truth_trap.World, notebook: str,
                 days: pd.DatetimeIndex) -> None:
    """Compare the interval a run reported with the truth, and its days with ``days``.

    An answer is right when its widened interval holds the truth and it speaks only of days
    the input has: notebook 05's observed days before and after the stop (``n_pre``,
    ``n_post``), notebook 06's post window. A run that counts days the input never recorded
    (a year of zeros after a misdated message) answers about data that do not exist.
    """
    try:
        block = json.loads(results.read_text(encoding="utf-8"))
        if notebook == "06":
            answer = block["attribution"]["residual"]
            run.truth = residual_truth(world, str(answer.get("window", "")))
            log, span = False, _window_inside(str(answer.get("window", "")), world, days)
            span = (span or _groups_problem(block["attribution"].get("vanished_groups"), world)
                    or _negative_ratio(block["attribution"].get("sources")))
        else:
            answer = block["notebooks"]["05-your-data"]
            span = _counts_inside(int(answer["n_pre"]), int(answer["n_post"]), world, days)
            answer, run.truth, log = answer["level_change"], world.truth.ratio, True
        run.estimate, run.low, run.high = (float(answer[k]) for k in
                                           ("estimate", "ci_low", "ci_high"))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        run.verdict, run.message = "unreadable", f"{run.message}\n{type(exc).__name__}: {exc}"
        return
    margin = RATIO_MARGIN if log else RESIDUAL_MARGIN * sum(world.truth.rates.values())
    run.strict, widened = inside(run.truth, run.low, run.high, log, margin)
    run.verdict = "right" if widened and not span else "WRONG"
    if span:
        run.message = f"{span}\n{run.message}"


def _stop_day(world: truth_trap.World) -> pd.Timestamp:
    return pd.Timestamp(world.truth.stop).floor("D")


def alpha_networks(world: truth_trap.World) -> set[str]:
    """The /24 networks of the botnet that stops (``a.b.c.0/24``)."""
    ips = world.mail.loc[world.mail["source"] == "alpha", "ip"]
    return {f"{ip.rsplit('.', 1)[0]}.0/24" for ip in ips}


def _groups_problem(groups: object, world: truth_trap.World) -> str:
    """Why notebook 06's vanished groups are not the stopped botnet's networks ('' if they are).

    The fingerprint is the default ``sender_net``; every network of ``alpha`` sends dozens of
    messages a day before the stop and none after, and no other network stops.
    """
    expected = alpha_networks(world)
    found = set(groups) if isinstance(groups, list) else set()
    if found != expected:
        return (f"groups: vanished {sorted(found)}; the botnet that stopped sent from "
                f"{sorted(expected)}")
    return ""


def _negative_ratio(sources: object) -> str:
    """A source's ratio interval reaching below 0, an impossible value ('' when none does)."""
    rows = sources if isinstance(sources, list) else []
    bad = [row for row in rows if isinstance(row, dict)
           and isinstance(row.get("ratio_low"), int | float) and row["ratio_low"] < 0]
    if bad:
        return (f"bounds: ratio interval of {bad[0].get('source')!r} starts at "
                f"{float(bad[0]['ratio_low']):.3g}, below 0")
    return ""


def _counts_inside(n_pre: int, n_post: int, world: truth_trap.World,
                   days: pd.DatetimeIndex) -> str:
    """Why notebook 05's day counts exceed the input's days ('' when they do not)."""
    pre = int((days < _stop_day(world)).sum()) + SPAN_SLACK
    post = int((days >= _stop_day(world)).sum()) + SPAN_SLACK
    if n_pre > pre or n_post > post:
        return (f"span: the fit has n_pre={n_pre}, n_post={n_post}; the input has at most "
                f"{pre} and {post} days")
    return ""


def _window_inside(window: str, world: truth_trap.World, days: pd.DatetimeIndex) -> str:
    """Why notebook 06's post window runs past the input's days ('' when it does not)."""
    found = _WINDOW.search(window)
    if found is None:
        return f"span: no post window in {window!r}"
    last = days[-1] + pd.Timedelta(days=SPAN_SLACK)
    if pd.Timestamp(found.group(2), tz="UTC") > last or \
            pd.Timestamp(found.group(1), tz="UTC") <= _stop_day(world):
        return f"span: post window {window} outside the input's days after the stop (to {last:%Y-%m-%d})"
    return ""


def residual_truth(world: truth_trap.World, window: str) -> float:
    """The true residual over the reported post window, clipped to the days the trap ran.

    Without a readable window: every whole day after the stop's day to the trap's last day.
    """
    first = world.truth.stop.date().toordinal() + 1
    last = world.daily.index[-1].date().toordinal()
    found = _WINDOW.search(window)
    if found:
        first = max(first, date.fromisoformat(found.group(1)).toordinal())
        last = min(last, date.fromisoformat(found.group(2)).toordinal())
    return world.truth.residual(date.fromordinal(first), date.fromordinal(max(first, last)))


def attempt(case: Case, argv: list[str], cwd: Path, world: truth_trap.World,
            notebook: str, days: pd.DatetimeIndex) -> None:
    """Run ``argv`` and, while refused with advice, rerun with the advice followed."""
    for number in range(FOLLOW_LIMIT + 1):
        name = f"{case.name}-{number}"
        run = execute([*argv, "--reports-dir", str(cwd / "reports"), "--name", name], cwd)
        run.argv = argv
        case.runs.append(run)
        if run.code == 0:
            judge_answer(run, cwd / "reports" / name / "results.json", world, notebook, days)
            return
        judge_refusal(run)
        extra = advice(run.message, argv)
        if run.verdict != "refused" or not extra:
            return
        argv = [*argv, *extra]


def plan_cases(world: truth_trap.World, paths: truth_trap.Written,
               ingest_out: Path) -> dict[str, tuple[list[str], str]]:
    """The command of each case (before ``--reports-dir``/``--name``) and its notebook."""
    at = ["--interruption", world.interruption, "--no-html"]
    return {
        "trap-daily-05": (["run", "--data", str(ingest_out / "daily_counts.csv"), *at,
                           "--only", "05"], "05"),
        "trap-events-06": (["run", "--events", str(ingest_out), *at, "--only", "06"], "06"),
        "us-daily-05": (["run", "--data", str(paths.daily_us), "--date-col", "Day",
                         "--value-col", "Messages", *at, "--only", "05"], "05"),
        "hourly-05": (["run", "--data", str(paths.hourly), "--date-col", "hour_start",
                       "--value-col", "spam", *at, "--only", "05"], "05"),
    }


def run_seed(seed: int, folder: Path,
             clean: bool = False) -> tuple[truth_trap.World, Run, list[Case]]:
    """Write ``seed``'s world, ingest its trap, run every case; return the judged cases.

    ``clean``: the control world of :func:`truth_trap.make_world`, for checking the judge.

    The ingest must account for every message written (it has no interval to judge); a
    refused ingest leaves the trap cases refused as well.
    """
    world, paths = truth_trap.write_world(seed, folder, clean)
    out = folder / "ingested"
    trap = [str(p) for p in paths.trap]
    ingest = execute(["ingest", *trap, "--out", str(out), "--workers", "1", "--quiet"], folder)
    ingest.verdict = "right" if ingest.code == 0 else ""
    if ingest.code == 0:
        problem = ingest_problem(world, out)
        if problem:
            ingest.verdict, ingest.message = "WRONG", f"{problem}\n{ingest.message}"
    else:
        judge_refusal(ingest)
    cases = {name: Case(seed, name) for name in CASES}
    commands = plan_cases(world, paths, out)
    todo = [name for name in CASES if ingest.code == 0 or not name.startswith("trap-")]
    with ThreadPoolExecutor(PARALLEL) as pool:
        for job in [pool.submit(attempt, cases[name], commands[name][0], folder, world,
                                commands[name][1], _days_of(world, name)) for name in todo]:
            job.result()
    return world, ingest, [cases[name] for name in CASES if cases[name].runs]


def ingest_problem(world: truth_trap.World, out: Path) -> str:
    """How an ingest's counts differ from the messages written ('' when they agree).

    Every message is seen; each day's count is the number of messages that arrived on it;
    no day the trap did not run on is listed as covered.
    """
    report = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
    if report["messages_seen"] != world.truth.n_messages:
        return f"ingest saw {report['messages_seen']} messages of {world.truth.n_messages}"
    daily = pd.read_csv(out / "daily_counts.csv")
    daily.index = pd.DatetimeIndex(pd.to_datetime(daily["date"]).dt.tz_localize("UTC"))
    covered = daily[daily["covered"] > 0]
    outside = covered.index.difference(world.daily.index)
    if len(outside):
        return (f"ingest lists {len(outside)} covered day(s) the trap did not run on "
                f"({outside[0]:%Y-%m-%d} to {outside[-1]:%Y-%m-%d})")
    counts = covered["count"].reindex(world.daily.index)
    differ = counts.notna() & (counts != world.daily["total"])
    if differ.any():
        day = differ[differ].index[0]
        return (f"ingest counts differ from the messages written on {int(differ.sum())} day(s), "
                f"e.g. {day:%Y-%m-%d}: {counts[day]:g} against {world.daily['total'][day]}")
    return ""


def _days_of(world: truth_trap.World, case: str) -> pd.DatetimeIndex:
    """The UTC days a case's input holds: the vendor's export, or the trap's days."""
    return world.vendor.index if case.startswith("us-") else world.daily.index


def describe(case: Case) -> str:
    """One line per case: outcome, the last answer against the truth, attempts, seconds."""
    last = case.wrong[0] if case.wrong else case.runs[-1]
    if math.isfinite(last.estimate):
        answer = (f"{last.estimate:.3g} ({last.low:.3g} to {last.high:.3g}) "
                  f"truth {last.truth:.3g}")
        if last.message.startswith(("span:", "groups:", "bounds:")):
            answer += " | " + last.message.splitlines()[0]
    elif last.code == 2:
        answer = " ".join(last.message.split())[:200]
    else:
        answer = (last.message.splitlines() or [""])[-1][:200]
    seconds = sum(r.seconds for r in case.runs)
    followed = last.argv[len(case.runs[0].argv):]
    flags = f"after {' '.join(followed)}: " if followed else ""
    return (f"seed {case.seed:2d} {case.name:15s} {case.outcome:9s} exit {last.code} "
            f"tries {len(case.runs)} {seconds:5.1f}s {flags}{answer}")


def main(seeds: list[int], clean: bool = False) -> int:
    """Print the per-seed table for ``seeds``; exit 1 when any run broke the contract."""
    import tempfile

    broken = 0
    for seed in seeds:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"truth-{seed}-") as tmp:
            world, ingest, cases = run_seed(seed, Path(tmp), clean)
        print(f"seed {seed:2d}: stop {world.truth.stop:%Y-%m-%d %H:%M} typed "
              f"{world.interruption!r}, ratio {world.truth.ratio:.3f}, beta after "
              f"{world.truth.beta_after}, ingest {ingest.verdict} ({ingest.seconds:.1f}s), "
              f"{time.perf_counter() - start:.1f}s in all", flush=True)
        if ingest.verdict not in ("right", "refused"):
            print("    ingest:", ingest.message.splitlines()[0][:150], flush=True)
        for case in cases:
            print("   ", describe(case), flush=True)
            broken += bool(case.wrong)
    return 1 if broken else 0


if __name__ == "__main__":
    control = "--control" in sys.argv
    chosen = [int(s) for s in sys.argv[1:] if s != "--control"]
    sys.exit(main(chosen or list(range(20)), clean=control))
