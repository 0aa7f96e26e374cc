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
# # After the takedown: who filled the void, and how long did the fall last?
#
# The article this project grew from asked two questions the other notebooks leave open: did
# other senders step in after Rustock stopped on 16 March 2011, and how long did the fall last?
# This notebook answers them twice. First from the **published figures** (the global volume in
# the week after the takedown and in the months after, and the botnets' shares), then on
# **daily data by source**: how long the total took to recover part of its fall (a time with a
# confidence interval), how much of the fall had come back by the end of the data, and which
# sources grew at the interruption.
#
# The words are those of notebooks 03 and 06. The **fall** is the week-after level below the
# level before; the share of the fall **still missing** is `(before - later) / (before - after)`:
# 1 means none of it came back, 0 that spam was back at the level before. On data, the
# **recovery time** at share `s` is the time after the interruption at which the gap between the
# counterfactual and the fitted series has closed by `s`; a source **stepped in** when its level
# or trend rose at the interruption (false-discovery rate held across sources).
#
# Without data of your own, the second half runs on the **SYNTHETIC** spam trap of notebook 06,
# where one source steps in after the stop and the total partly recovers; its truth is known and
# checked at the end. It is not data about 2011.

# %% tags=["parameters"]
data = None  # CSV/Parquet: a date column, the total and one column per source; None: see events
date_col = "date"  # column holding the day
value_col = "total"  # column holding the total
sources = []  # with data: the source columns, e.g. ["rustock", "bagle", "other"]
target = None  # with data: the source that stopped, e.g. "rustock"
events = None  # instead of data: a `spamlab ingest` output folder; both None: the synthetic trap
by = "sender_net"  # fingerprint grouping ingested mail
tz = None  # zone of dates without an offset, and of the days; None: UTC
reading = {}  # how the file is read: options of spamlab.series.ReadOptions
min_coverage = 0.25  # days observed less than this share are gaps
interruption = "2011-03-16T14:45:00+00:00"  # the stop; here Rustock's takedown as timed by CBL (#125)
recovery_share = 0.5  # the recovery time reported: when this share of the fall had come back
errors = "ar1"  # the noise of the daily series: "ar1", "iid", "hac" or "reml"
seasonality = "dow"  # "dow" (a weekday term for daily data) or None
seed = 0
n_draws = 20000  # Monte Carlo draws of the published-figures sensitivity range
synthetic_scale = 1.0  # size of the synthetic trap: 1.0 is about 40,000 messages
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import aftermath, attribution, figures, inputs, its, paths, plots, report

run = report.Run.start(run_name, reports_dir or paths.reports())  # the data's tags come below
table = figures.load()
persisted = aftermath.persistence(table, n_draws=n_draws, seed=seed)
print(aftermath.answer(table, persisted))

# %% [markdown]
# ## How much of the fall persisted, month by month (published figures)
#
# Each later figure of the global volume, with its hedge and the share of the fall still missing.
# The point uses the figures as printed; the range is a **90% sensitivity range** over what the
# figures leave open (the next table), not a confidence interval.

# %%
persisted

# %%
fig = plots.plot_persistence(persisted, figures.value(table, aftermath.BEFORE_ID),
                             figures.value(table, aftermath.AFTER_ID))
run.save(fig, "after-takedown-share-of-fall-missing")

# %% [markdown]
# Which assumption moves the ranges: each is switched on alone, from the figures as printed.
# *Estimated* ones come from rows of the table; *assumptions* are ours and can be changed with
# `aftermath.Assumptions`.

# %%
aftermath.assumption_effects(table, n_draws=n_draws // 4, seed=seed)

# %% [markdown]
# ## Who stepped in (published figures)
#
# The botnets' shares and outputs before and after, as far as the table has them. Shares are
# monthly, from one vendor's traps; an output implied from a share and a total names both rows.

# %%
aftermath.who_stepped_in(table)

# %% [markdown]
# These rows do not fit together; they are shown, not resolved.

# %%
aftermath.contradictions(table)

# %% [markdown]
# ## On data: how long did the fall last?
#
# The total is fitted with the interrupted-time-series model of notebook 02 (a level change and
# a slope change at the stop, AR(1) errors, a weekday term for daily data). If the slope after
# the stop is steeper than before, the gap to the counterfactual closes: the **recovery time**
# is when `recovery_share` of the fall had come back, and the **recovered share** is how much had
# come back by the last day. Both are ratios of the level and slope changes; their 95% intervals
# are Fieller sets, which may have no upper end ("not recovering within the data").

# %%
moment = inputs.moments(interruption, tz, "interruption")[-1]
inp = (inputs.read_sources(data, events=events, date_col=date_col, value_col=value_col,
                           sources=sources, target=target, interruption=moment, by=by, tz=tz,
                           reading=reading, min_coverage=min_coverage)
       if data is not None or events is not None
       else inputs.synthetic_sources(moment, by=by, seed=seed, scale=synthetic_scale))
run = run.with_data(inp)
res = its.fit(inp.frame, y=inp.y, interruptions=[moment], errors=errors,
              seasonality=seasonality)
rec = res.recovery(share=recovery_share)
back = res.recovered_share()
print(f"Read: {inp.label}; {len(inp.frame)} days; total {inp.y!r}\n")
print(rec.describe())
print(back.describe())

# %%
fig = res.plot(title=run.title("The total against its counterfactual"), ylabel=inp.unit)
run.save(fig, "total-recovery")

# %% [markdown]
# ## On data: who stepped in?
#
# Every source other than the stopped one is fitted the same way; the volume it **added** is
# observed minus counterfactual per day over the post window (positive: it sent more than its
# course before the stop predicts; negative: it fell). A source **stepped in** or **fell** when
# what it added is significant with the false-discovery rate held at 5% across sources;
# **unchanged** when its interval rules out a rise or fall of 10% of its level; else
# **inconclusive**. `made_up` is the share of the stopped source's loss (its fall, `lost`) the
# others made up, at the last day and over the window.

# %%
panel, stopped, total = inp.by_source
moved = attribution.displacement(panel, interruption=moment, target=stopped, total=total, errors=errors,
                                 seasonality=seasonality)
print(moved.describe())

# %%
moved.sources

# %%
moved.made_up

# %% [markdown]
# ## Checked against the truth (synthetic trap only)
#
# The synthetic trap knows which source steps in and how much of the total's fall had come back
# by its last day (measured on its expected counts). On your data there is no truth to compare.

# %%
truth_check = {
    "true_stepped_in": inp.truth.stepped_in,
    "its_status": moved.sources.set_index("source").loc[inp.truth.stepped_in, "status"],
    "true_recovered_share": inp.truth.recovered_share(),
    "estimate": back.estimate, "ci_low": back.ci_low, "ci_high": back.ci_high,
} if inp.truth is not None else {}
truth_check

# %% [markdown]
# ## Results
#
# `results.json` receives an `after_takedown` block: `published` (one row per later window:
# volume, share of the fall missing, its range, figure ids; derived, not synthetic),
# `recovery` and `recovered_share` (with their intervals), `displacement` (one row per source)
# and `made_up`, each flagged `synthetic` when it comes from the synthetic trap.

# %%
report.write_fragment(run, "07-after-the-takedown", {"synthetic": inp.synthetic,
                                                      "after_takedown": {
    "published": aftermath.published_block(table, n_draws=n_draws, seed=seed),
    "recovery": {**rec.to_dict(), "synthetic": inp.synthetic},
    "recovered_share": {**back.to_dict(), "synthetic": inp.synthetic},
    "displacement": moved.to_dict()["sources"], "made_up": moved.to_dict()["made_up"],
    "unit": inp.unit, "data": inp.label, "synthetic": inp.synthetic,
    "in_words": {"published": aftermath.answer(table, persisted),
                 "recovery": rec.describe(), "displacement": moved.describe()},
    "truth": truth_check or None,
}})

# %% [markdown]
# ## Versions

# %%
report.versions()
