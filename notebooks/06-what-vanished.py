# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python (spamlab)
#     language: python
#     name: spamlab
# ---

# %% [markdown]
# # What vanished, and what else fell: the residual on data
#
# Notebook 03 asks, from the published figures alone, how much more global spam fell than Rustock
# had been sending: a **residual** nobody has accounted for. The figures leave it uncertain: the
# cell after the parameters states it with its
# [sensitivity range](../../docs/glossary.md#sensitivity-range) (notebook 03's accounting,
# recomputed), and a range that reaches below zero means the figures alone cannot say whether
# anything besides Rustock fell at all. This notebook asks the same question of data that can
# answer it: daily counts **by source** (a vendor's export by botnet, a trap's own
# classification) or the raw mail of a spam trap run through `spamlab ingest`, whose messages
# are grouped by a *fingerprint* (the sending network, the HELO name, the Message-ID's shape,
# the mailer).
#
# The words are those of notebook 03. The **fall** of a series is its
# **[counterfactual](../../docs/glossary.md#counterfactual)** (the course of the pre-period extended past the interruption) minus what was observed, per
# day, averaged over the **post window** (every whole day after the interruption's day):
# negative when the series grew. (Notebook 02's *effects* are observed minus counterfactual, so
# a fall of 5 is an effect of -5.) The **target** is the source whose disappearance is being
# accounted for; a source **vanished** when at least 90% of it is gone (the upper end of its
# ratio interval is below 0.1), **fell**, stayed **unchanged** or **grew** when its fall's 95%
# interval says so, and is **inconclusive** when that interval holds both 0 and a fall or rise
# of 10% of its pre level (too wide to tell).
# The **residual** is the fall of the total minus the fall of the target: the part of the
# fall the target's disappearance does not **explain**. The other named sources explain part of
# the residual; what they leave is **left**.
#
# Without data of your own the notebook makes a **SYNTHETIC** spam trap (`spamlab.testing`),
# with invented sources whose names, fingerprints and fate are made up: `stopper` vanishes at the
# interruption, `stepper` halves a day later, `filler` steps in three days later and keeps
# growing (so the total partly recovers), two drift, and background noise comes from everywhere.
# Every sending address lies in networks reserved for documentation and benchmarking
# (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15), so no network in its tables
# is a real one. Its truth is known, so the last section checks the answer against it. Every
# table and line drawn from it says SYNTHETIC; it is not data about 2011.
#
# From a terminal: `spamlab run --data panel.csv --value-col total --sources rustock,bagle,other
# --target rustock --interruption "2011-03-16 14:45"` (daily counts by source), or
# `spamlab run --events DIR --interruption "2011-03-16 14:45"` (a `spamlab ingest` output).
# (Links to the glossary work in the HTML report, `reports/NAME/`.)

# %% tags=["parameters"]
data = None  # CSV/Parquet: a date column, the total and one column per source; None: see events
date_col = "date"  # column holding the day
value_col = "total"  # column holding the total
sources = []  # with data: the source columns, e.g. ["rustock", "bagle", "other"]
target = None  # with data: the source whose disappearance is accounted for, e.g. "rustock"
events = None  # instead of data: a `spamlab ingest` output folder; both None: the synthetic trap
by = "sender_net"  # fingerprint grouping ingested mail: "sender_net", "helo", "msgid_shape", ...
tz = None  # zone of dates without an offset, and of the days; None: UTC
# how the file is read: options of spamlab.series.ReadOptions, e.g. {"sep": ";",
# "date_format": "%d.%m.%Y", "encoding": "cp1252"}; {}: separator and decimal mark
# sniffed, dates ISO 8601 or day/month in the order their numbers prove
reading = {}
min_coverage = 0.25  # days observed less than this share (hours of an hourly export) are gaps
interruption = "2011-03-16T14:45:00+00:00"  # the stop; here Rustock's takedown as timed by CBL (#125)
window = None  # post window: None (every whole day after), a number of days, or [first, last]
errors = "auto"  # "auto" (ar1), "iid", "hac" or "ar1": the noise of the daily series
seasonality = "auto"  # "auto" ("dow" for daily data with 2+ weeks before), None, or "dow"
slope_change = True  # allow the trend to change at the interruption
seed = 0
synthetic_scale = 0.25  # size of the synthetic trap: 0.25 is about 10,000 messages
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import attribution, inputs, paths, plots, report, residual

published = residual.account_from_figures(seed=seed).to_dict()
spread = published["residual_bn_per_day"]
print(f"From the published figures (notebook 03; not synthetic): global spam fell by anywhere "
      f"from {spread['low']:.1f} to {spread['high']:.1f} billion messages a day more than "
      f"Rustock's output ({published['range_kind']}; median {spread['median']:.1f}, "
      f"{100 * spread['p_below_zero']:.0f}% of draws below zero)"
      f"{': the figures alone cannot tell whether anything else fell' if spread['low'] < 0 else ''}.")

# %%
moment = inputs.moments(interruption, tz, "interruption")[-1]
inp = (inputs.read_sources(data, events=events, date_col=date_col, value_col=value_col,
                           sources=sources, target=target, interruption=moment, by=by, tz=tz,
                           reading=reading, min_coverage=min_coverage)
       if data is not None or events is not None
       else inputs.synthetic_sources(moment, by=by, seed=seed, scale=synthetic_scale))
run = report.Run.start(run_name, reports_dir or paths.reports(), data=inp)
print(f"Read: {inp.label}; {len(inp.frame)} days from {inp.frame.index[0]:%Y-%m-%d} to "
      f"{inp.frame.index[-1]:%Y-%m-%d}; total {inp.y!r}, sources {list(inp.sources)}, "
      f"target {inp.target!r}; interruption {moment}")

# %% [markdown]
# ## Which groups vanished
#
# From raw mail, every fingerprint group with enough mail before the interruption (20 messages)
# is tested: its rate after against its rate before (a ratio, with its 95% interval, never below
# 0), with the [false-discovery rate](../../docs/glossary.md#fdr) held at 5% across groups
# ([Benjamini-Hochberg](../../docs/glossary.md#benjamini-hochberg)). Groups with too little mail are skipped and
# counted. The groups called *vanished* become the target, `vanished`; every other message is
# `everything_else`. From a file of daily counts by source there is nothing to test here: the
# sources are the file's columns.

# %%
print(f"{inp.label}:\n{inp.found.summary()}" if inp.found is not None
      else "Daily counts by source: no groups.")

# %%
report.stack({inp.label: inp.found.groups.head(20)}, label="data") if inp.found is not None \
    else inp.frame.describe().T

# %%
fig = plots.plot_daily_series(inp.frame, [inp.y, *inp.sources], ylabel=inp.unit,
                         title=run.title("Daily total and its sources"),
                         marks=[(moment, "interruption")])
run.save(fig, "sources-daily")

# %% [markdown]
# ## How much of the fall the target explains
#
# Each series (the total, each source, and their differences) is fitted with the same
# [interrupted-time-series](../../docs/glossary.md#its) model, an additive one: a fall per day
# is a difference of messages. Left at `"auto"`, the model follows the data: a weekday term for
# daily data (with two weeks or more before the interruption) and
# [AR(1)](../../docs/glossary.md#ar1) errors, as the summary's `Model:` line says. The residual's interval comes from fitting the difference series `total - target`
# itself, so the noise the two series share is accounted for.

# %%
acc = attribution.account_by_source(inp.frame, total=inp.y, sources=list(inp.sources),
                                    target=inp.target, interruption=moment, window=window,
                                    errors=errors, seasonality=seasonality,
                                    slope_change=slope_change, unit=inp.unit)
print(f"{inp.label}:\n{acc.summary()}")

# %%
report.stack({inp.label: acc.sources}, label="data")

# %%
fig = plots.plot_sources(acc, inp.frame, ylabel=inp.unit,
                         title=run.title("Each series against its counterfactual"))
run.save(fig, "sources-against-counterfactual")

# %% [markdown]
# ## The residual, with its interval
#
# The residual is the part of the total's fall that the target's disappearance does not
# explain (per day, averaged over the post window). What it says is written from the numbers
# (`attribution.describe`): an interval above zero says something else fell at the same moment;
# one that holds zero says the target may explain the whole fall only when it also rules out a
# residual of 10% of the rest of the total; otherwise the data cannot tell.

# %%
print(f"{inp.label}: {attribution.describe(acc, inp.found)}")

# %%
plots.attribution.residual_table(acc, inp.unit, inp.label)

# %%
fig = plots.plot_attribution(acc, unit=inp.unit,
                              title=run.title("The fall, the target's share and the residual"))
run.save(fig, "residual-with-interval")

# %% [markdown]
# ## What else fell
#
# How much of the residual each other named source explains (its own fall; `share` is its
# part of the residual), and what is **left** to mail no named source accounts for. Sources
# need not add up to the total: the second table says by how much they do not, before and in
# the post window.

# %%
acc.explained

# %%
acc.non_additivity

# %% [markdown]
# ## Checked against the truth (synthetic trap only)
#
# The synthetic trap knows every message's source and the rate it was made with. The **true**
# residual comes from those rates, without the day-to-day noise: the stepper's halving less
# what the filler added after stepping in (nothing else changed). The **estimates** are fitted
# to the noisy daily counts, so they differ from the truth by estimation error: the estimate's
# interval should hold the truth, and an accounting on the true per-source counts (what a
# vendor's export by botnet would give) should find the same residual, name the source that
# fell and the one that grew. The second table shows the truth and the estimate source by
# source, so a difference between the two residuals can be traced to the sources it comes
# from. On your data there is no truth to compare with.

# %%
by_source = attribution.account_by_source(
    inp.truth.daily, total="total", sources=[p.name for p in inp.truth.profiles],
    target=inp.truth.target, interruption=moment, window=window, errors=errors,
    seasonality=seasonality, slope_change=slope_change) if inp.truth is not None else None
truth_check = {
    "true_residual": inp.truth.residual(*acc.window),
    "estimate": acc.residual["estimate"], "ci_low": acc.residual["ci_low"],
    "ci_high": acc.residual["ci_high"],
    "estimate_from_true_sources": by_source.residual["estimate"],
} if inp.truth is not None else {}
checked = (plots.attribution.truth_check(acc, by_source, inp.truth, inp.unit)
           if inp.truth is not None else None)
print(checked[0] if checked is not None else "no ground truth: this is your data")
checked[1].round(2) if checked is not None else None

# %%
(report.stack({f"{inp.label}, true per-source counts": checked[2]}, label="data").round(2)
 if checked is not None else "no ground truth: this is your data")

# %% [markdown]
# ## Results
#
# `results.json` in the run folder receives an `attribution` block: the residual (estimate,
# interval, unit, post window), the sources table, what the other sources explain, how far the
# sources are from adding up, the text above (`in_words`), and, for ingested mail, the
# fingerprint and the vanished groups.

# %%
report.write_fragment(run, "06-what-vanished", {"synthetic": inp.synthetic, "attribution": {
    **acc.to_dict(), "interruption": moment, "data": inp.label, "synthetic": inp.synthetic,
    "unit": inp.unit, "fingerprint": by if inp.found is not None else None,
    "vanished_groups": inp.found.vanished_groups if inp.found is not None else None,
    "in_words": attribution.describe(acc, inp.found), "truth": truth_check or None,
}})

# %% [markdown]
# ## Versions

# %%
report.versions()
