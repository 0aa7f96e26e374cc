"""Tables that present an :class:`~spamlab.residual.accounting.Accounting` as an argument.

:func:`hypothesis_table` gives one row per hypothesis (claim, figure rows, each reading
with its value and effect, the document that would settle it); :func:`assumption_table`
lists every assumption with its value; :func:`collateral_curve` shows how large a
collateral fall of the other botnets (H5) would close the remaining residual.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError
from spamlab.residual.accounting import Accounting, account
from spamlab.residual.adjustments import STEPS, read_published, step_figure_ids, weekly_swing_cv
from spamlab.residual.readings import READING_LABELS, Assumptions, figure

__all__ = ["ASSUMPTION_NOTES", "CLAIMS", "DEFAULT_VARIANTS", "SETTLE", "assumption_table",
           "collateral_curve", "default_variants", "hypothesis_table", "sensitivity",
           "unmodelled_points"]

#: What each hypothesis claims (H-number -> one sentence).
CLAIMS: dict[int, str] = {
    1: "Rustock's 13.82 bn/day is not its output on the 52 bn week: read from its 28.5% March "
       "share (or another vendor's share) it is larger or smaller.",
    2: "If the after window holds 16 March, Rustock's hours that day inflate the after mean; "
       "this can only ENLARGE the residual.",
    3: "A before and an after window with different shares of weekend days are not comparable.",
    4: "Spam other than Rustock's was already changing before the takedown.",
    5: "Other botnets lost output at the same moment (collateral damage or a correlated pause).",
    6: "52 and 33 are rounded, noisy window means.",
}

#: Documents that exist and would settle each hypothesis (H-number -> text).
SETTLE: dict[int, str] = {
    1: "The botnet table of the MessageLabs Intelligence Report, March 2011: each botnet's output "
       "and share, and the total they are shares of.",
    2: "The daily chart of Symantec's blog post 'Rustock Takedown's Effect on Global Spam Volume' "
       "(21 March 2011, rows 28-30): which days the windows hold and where its days begin.",
    3: "The same daily chart: the days behind the averages 52 and 33.",
    4: "Daily global volume for February-March 2011: the same chart, or the State of Spam & "
       "Phishing report of April 2011 (row 236).",
    5: "Daily output per botnet around 16 March: CBL's per-botnet trap counts (row 125's page) or "
       "Microsoft's botnet ranking (row 365); the March report's botnet table is monthly only.",
    6: "The daily series behind 52 and 33 (its day-to-day spread), from the same chart.",
}

#: One line per field of :class:`Assumptions`: what it means and where it comes from.
ASSUMPTION_NOTES: dict[str, str] = {
    "before_days": "length of the before window ending 15 March (row 5 names 'the previous week'); uniform",
    "after_days": "length of the after window (row 4: 'the days following'); uniform",
    "p_after_includes_16th": "probability the after window holds 16 March (row 4 read 17-23, row 14 16-23)",
    "vendor_day_from_figures": "vendor's days start ~8.4-9.1 h UTC, where rows 28/29 fit the stop (125/130)",
    "rustock_readings": "H1 readings pooled (MessageLabs' own; other vendors shown apart)",
    "rustock_weights": "weights of the pooled H1 readings (None: equal)",
    "trend_readings": "H4 readings pooled",
    "trend_weights": "weights of the pooled H4 readings (None: equal)",
    "stated_output_change": "relative error of row 1's 13.82 ('as many as'; 'more than' in 303, 323); "
                            "(0, 0): exact",
    "less_than_width": "row 361 'less than 51' drawn uniformly in [51 - width, 51]; width 2.5+ holds "
                       "the 48.5 base of rows 1/2",
    "other_botnets_change": "relative change of the other botnets at the takedown; size unpublished",
    "daily_noise_cv": "day-to-day coefficient of variation of a vendor's daily number; uniform; "
                      "NO published source (the weekend ratios alone give 4.7-14%, which H3 models)",
    "noise_ar1": "lag-1 autocorrelation of that noise (inflates the sd of a window mean)",
    "rounding": "half-width of the rounding of 52 and 33 (bn/day); uniform",
}


def assumption_table(asm: Assumptions) -> pd.DataFrame:
    """Every assumption of the accounting with its value and meaning.

    Returns
    -------
    DataFrame: ``assumption``, ``value`` (as text), ``meaning``.

    Examples
    --------
    >>> tab = assumption_table(Assumptions())
    >>> tab.set_index("assumption").loc["p_after_includes_16th", "value"]
    '0.5'
    """
    rows = [(f.name, _text(getattr(asm, f.name)), ASSUMPTION_NOTES[f.name]) for f in fields(asm)]
    return pd.DataFrame(rows, columns=["assumption", "value", "meaning"])


def _text(value: object) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        return ", ".join(value)
    return str(value)


def _short(value: object) -> str:
    """A changed assumption as text, floats to 3 significant digits: ``(0.0465, 0.143)``."""
    if isinstance(value, tuple) and value and all(isinstance(v, float) for v in value):
        return "(" + ", ".join(f"{v:.3g}" for v in value) + ")"
    return _text(value)


def _effect(values: pd.Series, interval: float) -> str:
    low, high = np.quantile(values, ((1 - interval) / 2, (1 + interval) / 2))
    return f"mean {values.mean():+.2f} ({low:+.2f} to {high:+.2f})"


def _readings(acc: Accounting, hypothesis: int) -> str:
    """Each reading of a hypothesis with its value and its effect on the residual (bn/day)."""
    draws, q = acc.draws, acc.interval
    asm = acc.assumptions
    if hypothesis == 1:
        return "; ".join(
            f"{r['reading']} = {r['rustock_bn_per_day']:.2f} bn/day (rows {r['figure_ids'].replace(';', ', ')}): "
            f"{r['effect']:+.2f}, "
            + (f"weight {r['weight']:.2f}" if r["weight"] > 0 else "not pooled (other vendor)")
            for _, r in acc.by_reading.iterrows())
    if hypothesis == 2:
        held = draws["includes_16th"]
        p = asm.p_after_includes_16th
        return (f"after window 17-23 March (row 4), p = {1 - p:.2f}: +0.00; "
                f"holds 16 March (row 14), p = {p:.2f}: {_effect(draws.loc[held, 'adj_partial_day'], q)}"
                if held.any() else "after window 17-23 March (row 4): +0.00")
    if hypothesis == 4:
        weights = asm.weights(4)
        return "; ".join(
            f"{name} ({READING_LABELS[name]}), weight {weights[name]:.2f}: "
            f"{_effect(draws.loc[draws['trend_reading'] == name, 'adj_trend'], q)}"
            for name in weights)
    if hypothesis == 5 and asm.other_botnets_change == (0.0, 0.0):
        return "size not published: none applied; see the collateral-needed curve"
    step = STEPS[hypothesis - 1]
    return f"{', '.join(step.assumptions)} as in the assumption table: {_effect(draws[f'adj_{step.key}'], q)}"


def hypothesis_table(acc: Accounting) -> pd.DataFrame:
    """One row per hypothesis: claim, figure rows, readings with value and effect, what would settle it.

    Effects are changes to the residual in bn/day (negative: the hypothesis explains
    part of it), as mean and sensitivity range of the draws under that reading.

    Examples
    --------
    >>> from spamlab.residual import account_from_figures as account
    >>> tab = hypothesis_table(account(n_draws=500))
    >>> tab["hypothesis"].tolist()
    ['H1', 'H2', 'H3', 'H4', 'H5', 'H6']
    """
    rows = []
    for step in STEPS:
        adj = acc.draws[f"adj_{step.key}"]
        rows.append((f"H{step.hypothesis}", step.key, CLAIMS[step.hypothesis],
                     ", ".join(map(str, step_figure_ids(step, acc.assumptions))),
                     _readings(acc, step.hypothesis), round(float(adj.mean()), 2),
                     SETTLE[step.hypothesis]))
    return pd.DataFrame(rows, columns=["hypothesis", "adjustment", "claim", "rows", "readings (effect)",
                                       "mean_effect", "would_settle_it"])


def collateral_curve(acc: Accounting, fractions: np.ndarray | None = None) -> pd.DataFrame:
    """Remaining residual if the other botnets had lost a fraction of their output (H5).

    For each fraction ``c``, every draw's remaining residual minus ``c`` times the
    other botnets' pre-takedown output (row 9 x before level - Rustock).

    Returns
    -------
    DataFrame: ``collateral`` (fraction), ``mean``, ``median``, ``low``, ``high``,
    ``p_below_zero``.

    Examples
    --------
    >>> from spamlab.residual import account_from_figures as account
    >>> curve = collateral_curve(account(n_draws=500), [0.0])
    >>> bool(curve.loc[0, "median"] == account(n_draws=500).remaining["median"])
    True
    """
    grid = np.linspace(0, 0.6, 13) if fractions is None else np.asarray(fractions, dtype=float)
    if grid.size == 0 or grid.min() < 0 or grid.max() > 1:
        raise ParameterError(f"fractions={fractions!r}: need values in [0, 1]")
    final = acc.draws[f"res_{STEPS[-1].key}"].to_numpy()
    others = acc.draws["others_before"].to_numpy()
    q = ((1 - acc.interval) / 2, 0.5, (1 + acc.interval) / 2)
    rows = []
    for c in grid:
        left = final - c * others
        low, mid, high = np.quantile(left, q)
        rows.append((float(c), left.mean(), mid, low, high, float((left < 0).mean())))
    return pd.DataFrame(rows, columns=["collateral", "mean", "median", "low", "high", "p_below_zero"])


#: Assumption changes :func:`sensitivity` tries by default (label -> changed fields);
#: :func:`default_variants` adds the noise sourced from the published weekend ratios.
DEFAULT_VARIANTS: dict[str, dict[str, object]] = {
    "after window 17-23 March (p_after_includes_16th = 0)": {"p_after_includes_16th": 0.0},
    "after window holds 16 March (p_after_includes_16th = 1)": {"p_after_includes_16th": 1.0},
    "UTC days instead of the vendor day (H2)": {"vendor_day_from_figures": False},
    "H4 read from February only": {"trend_readings": ("feb_to_march",)},
    "H4 read from 10 vs 15 March only": {"trend_readings": ("march_10_vs_15",)},
    "H4 read from row 361 only": {"trend_readings": ("first_half_vs_week",)},
    "other botnets -10% to +10% (the old prior)": {"other_botnets_change": (-0.10, 0.10)},
    "13.82 read as a cap: 7% below it to 13.82 (row 1 'as many as')":
        {"stated_output_change": (-0.07, 0.0)},
    "13.82 read as a floor: 13.82 to 7% above it (rows 303, 323 'more than')":
        {"stated_output_change": (0.0, 0.07)},
    "row 361 'less than 51' read as 51 (width 0)": {"less_than_width": 0.0},
    "row 361 'less than 51' in [48, 51] (width 3, holds rows 1/2's 48.5 base)": {"less_than_width": 3.0},
    "H4 read from row 361 only, 'less than 51' in [48, 51]":
        {"trend_readings": ("first_half_vs_week",), "less_than_width": 3.0},
    "no day-to-day noise (CV 0: the weekly swing is H3's)": {"daily_noise_cv": (0.0, 0.0)},
    "noise 3-5% a day": {"daily_noise_cv": (0.03, 0.05)},
}


def default_variants(table: pd.DataFrame) -> dict[str, dict[str, object]]:
    """:data:`DEFAULT_VARIANTS` plus the day-to-day noise the published weekend ratios imply.

    The weekend/weekday ratios (rows 384, 212, 218, 219) give the coefficient of
    variation of a week's days (:func:`~spamlab.residual.adjustments.weekly_swing_cv`):
    the upper side of the unsourced 3-10% prior, as zero is its lower side.

    Examples
    --------
    >>> from spamlab import figures
    >>> cv = default_variants(figures.load())
    >>> [round(v, 3) for v in list(cv.values())[-1]["daily_noise_cv"]]
    [0.047, 0.143]
    """
    low, high = sorted(weekly_swing_cv(r) for r in read_published(table).weekend_ratio)
    label = (f"noise {100 * low:.1f}-{100 * high:.0f}% a day, the weekly swing of the weekend "
             "ratios (rows 212, 218, 219, 384)")
    return {**DEFAULT_VARIANTS, label: {"daily_noise_cv": (low, high)}}


def sensitivity(
    acc: Accounting,
    table: pd.DataFrame,
    variants: dict[str, dict[str, object]] | None = None,
) -> pd.DataFrame:
    """The remaining residual when one assumption at a time is changed (same seed and draws).

    Parameters
    ----------
    acc
        The reference accounting; its seed, number of draws, interval and assumptions are reused.
    table
        The figures table it was computed from.
    variants
        Label -> fields of :class:`Assumptions` to change; default :func:`default_variants`.

    Returns
    -------
    DataFrame: ``variant``, ``changes`` (the fields changed, "name=value; ..."), ``mean``,
    ``median``, ``low``, ``high``, ``median_shift`` (median minus the reference's),
    ``p_below_zero``, ``p_above_naive``; the first row is the reference.

    Examples
    --------
    >>> from spamlab import figures
    >>> from spamlab.residual import account_from_figures as account
    >>> tab = figures.load()
    >>> out = sensitivity(account(tab, n_draws=300), tab, {"p = 0": {"p_after_includes_16th": 0.0}})
    >>> out["variant"].tolist()
    ['as stated (reference)', 'p = 0']
    """
    chosen = default_variants(table) if variants is None else variants
    rows = [_outcome("as stated (reference)", {}, acc)]
    for label, changes in chosen.items():
        asm = replace(acc.assumptions, **changes)  # type: ignore[arg-type]
        rows.append(_outcome(label, changes, account(table, seed=acc.seed, n_draws=len(acc.draws),
                                                     assumptions=asm, interval=acc.interval)))
    out = pd.DataFrame(rows)
    out.insert(out.columns.get_loc("high") + 1, "median_shift", out["median"] - out.loc[0, "median"])
    return out


def _outcome(label: str, changes: dict[str, object], acc: Accounting) -> dict[str, object]:
    final = acc.remaining
    changed = "; ".join(f"{name}={_short(value)}" for name, value in changes.items())
    return {"variant": label, "changes": changed or "none",
            **{k: float(final[k]) for k in ("mean", "median", "low", "high")},
            "p_below_zero": acc.p_below_zero, "p_above_naive": acc.p_above_naive}


def unmodelled_points(table: pd.DataFrame, *, seed: int = 0, n_draws: int = 20_000) -> pd.DataFrame:
    """Four points the accounting does not draw, each with what it does to the residual (bn/day).

    (a) botnet spam outside the top ten (rows 9, 27 on row 5), where unnamed Rustock mail would
    sit; (b) the residual with CBL's trap shares of Rustock (rows 126, 127) on the 52 bn week;
    (c) the residual with other after windows (rows 362, 249); (d) the 10-vs-15 March trend
    reading alone, as read (a Thursday against a Tuesday) and with Microsoft's weekday index of
    Thursday against Tuesday (rows 216, 214) taken out of the 10 March level.

    Returns
    -------
    DataFrame: ``point``, ``rows``, ``bn_per_day``, ``effect`` (what it does to the residual).

    Examples
    --------
    >>> from spamlab import figures
    >>> out = unmodelled_points(figures.load(), n_draws=200)
    >>> round(float(out.loc[0, "bn_per_day"]), 2)
    4.73
    """
    rate, pct = "billion_per_day", "percent"
    before, after, rustock = (figure(table, i, rate, "positive") for i in (5, 4, 1))
    botnets, top_ten = figure(table, 9, pct, "share"), figure(table, 27, pct, "share")
    thursday_over_tuesday = (figure(table, 216, "percent_of_weekday_avg", "positive")
                             / figure(table, 214, "percent_of_weekday_avg", "positive"))
    weekday_free = table.copy()  # 10 March put on 15 March's weekday level (row 30's base)
    change_10_17 = figure(table, 30, pct, "change")
    weekday_free.loc[weekday_free["id"] == 30, ["value", "value_low", "value_high", "value_mid"]] = (
        100 * ((1 + change_10_17 / 100) * thursday_over_tuesday - 1))
    two_days = Assumptions(trend_readings=("march_10_vs_15",))
    as_read, free = (account(t, seed=seed, n_draws=n_draws, assumptions=two_days).remaining["median"]
                     for t in (table, weekday_free))
    rows = [
        ("(a) botnet spam outside the top ten", "9, 27, 5", (botnets - top_ten) / 100 * before,
         "unnamed Rustock mail would sit here: lowers the residual by an unknown part of this"),
        *[(f"(b) residual with CBL's {figure(table, i, pct, 'share'):g}% trap share of Rustock",
           f"{i}, 5, 4", before - after - figure(table, i, pct, "share") / 100 * before,
           "a trap's share on a customer volume: the share depends on the vantage")
          for i in (126, 127)],
        ("(c) residual with 17 March - 15 April as the after window", "5, 362, 1",
         before - figure(table, 362, rate, "positive") - rustock,
         "'less than 32': at least this much"),
        ("(c) residual with April as the after window", "5, 249, 1",
         before - figure(table, 249, rate, "positive") - rustock,
         "after level depends on the window; other botnets ramping up enlarge what vanished"),
        ("(d) 10-vs-15 March trend reading alone (median)", "3, 30", float(as_read),
         "as read: a Thursday against a Tuesday"),
        ("(d) the same with Thursday's weekday index taken out", "3, 30, 214, 216", float(free),
         "slightly higher: the weekday explains little of the 11%"),
    ]
    return pd.DataFrame(rows, columns=["point", "rows", "bn_per_day", "effect"])
