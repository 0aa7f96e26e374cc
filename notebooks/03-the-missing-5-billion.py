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
# # The missing 5 billion: what the published figures can and cannot explain
#
# **The answer.** Symantec's figures say global spam fell by 19 billion messages a day when the
# Rustock botnet was switched off on 16 March 2011 (from 52 to 33 billion, #5 and #4), but Rustock
# had been sending at most 13.82 billion a day (#1), so about 5 billion a day vanished without a
# stated cause. Allowing for every hedge, unknown window and rounding we could find, the gap is
# still about 5 billion a day (median 5.0; a sensitivity range of -4 to +11 under the assumptions
# stated below, so a gap of zero is not ruled out: 16% of the simulations fall below it). No
# reading of Symantec's own numbers for Rustock closes it (3.9 to 6.3 billion, depending on the
# reading); it closes only if Rustock's share is taken from another vendor (Kaspersky's 30-40%:
# 0.6 billion left), if spam was already falling as fast as two single days suggest, or if the
# other botnets lost about a sixth of their output at the same moment, which nobody has reported.
# The published numbers cannot settle this; the botnet table of MessageLabs' March 2011 report and
# the daily chart behind the 52 and 33 could.
#
# How to read what follows: numbers about 2011 come from the published-figures table (cited `#id`);
# everything else is a named assumption, printed in the appendix. Each explanation (hypothesis) is
# an *adjustment* of the residual; a seeded Monte Carlo simulation draws every uncertain input.
# Ranges are **sensitivity ranges under those stated assumptions**, not confidence intervals.
#
# The words are those of notebook 06, which does this accounting on data. The **change** of a
# series is its fall at the takedown, per day (52 - 33 for the total; notebook 06 measures it as
# counterfactual minus observed, so a fall is positive). The **target** is the source whose
# disappearance is accounted for, Rustock, which **vanished**. The **residual** is the change of
# the total minus the change of the target: the part of the fall the target does not **explain**.
# An adjustment that explains part of the residual lowers it (a negative effect below); what no
# adjustment explains is the residual **left** (the remaining residual).

# %% tags=["parameters"]
data = None  # this notebook works from the published figures only
date_col = "date"
value_col = "count"
tz = "UTC"
interruption = "2011-03-16T14:45:00+00:00"  # Rustock stop as timed by CBL (#125)
seed = 0
n_draws = 20000  # Monte Carlo draws
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import figures, paths, plots, report, residual, scenario

run = report.run_dir(run_name, reports_dir or paths.reports())
table = figures.load()
acc = residual.account(table, seed=seed, n_draws=n_draws)
residual_table_csv = residual.write_table(acc, run / "residual_table.csv")
remaining = acc.remaining
print(f"naive residual (#5 - #4 - #1): {acc.naive:.2f} bn/day\n"
      f"after the adjustments: median {remaining['median']:.2f}, mean {remaining['mean']:.2f} bn/day; "
      f"{acc.interval:.0%} sensitivity range {remaining['low']:.2f} to {remaining['high']:.2f} "
      f"(stated priors, not a confidence interval)\n"
      f"P(residual < 0) = {acc.p_below_zero:.2f}; P(residual > naive {acc.naive:.2f}) = {acc.p_above_naive:.2f}")
figures.get(table, [5, 4, 1])[["id", "publisher", "period_start", "period_end", "metric",
                               "value", "unit", "qualifier"]]

# %% [markdown]
# ## The argument, one hypothesis per row
#
# Each row gives the claim, the figure rows it uses, each way of reading those rows with its value
# and its effect on the residual (billion messages a day; negative: the hypothesis explains part of
# the residual; mean and 90% range of the draws), and the existing document that would settle it.
# H2 can only *enlarge* the residual; H5 has no published size and is shown as a curve below.

# %%
residual.hypothesis_table(acc).style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## Rustock's output, read five ways
#
# How much did Rustock send on the 52-billion base? MessageLabs' own figures allow three readings:
# 13.82 as stated (#1; "as many as" makes it a ceiling, and Rustock sent in bursts, as MessageLabs
# said on the page of #337-#339, so the residual under this reading is a floor); 28.5% of the 52 bn
# week (#2, #5); and 28.5% of the *botnet* spam, 83.1% of the week (#2 reads "percent of global spam
# sent from all botnets"; #9). These three are pooled with equal weights. Two other vendors' shares
# of Rustock, Commtouch's 30 of 150 billion (#328, #326) and Kaspersky's 30-40% (#168, #169), are
# shown but not pooled: each vendor measures on its own scale (notebook 01), and putting one
# vendor's share on another's volume mixes two instruments. Two earlier readings are dropped: a
# floor of 13 billion (#148 and #323 repeat #1 rounded, they do not bound it), and the March share
# spread over the days before the takedown (24 billion a day, 75% above the "as many as 13.82" of
# the same sentence).

# %%
acc.by_reading.style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## A waterfall that adds up
#
# The bars are **means**: the naive residual plus the mean change of each adjustment, in the order
# H1 to H6, lands exactly on the mean of what remains (medians do not add up). Whiskers show each
# adjustment's 90% range; the dot on the last bar is the median. The right panel repeats the
# remaining residual under each reading of Rustock's output.

# %%
fig = plots.plot_waterfall(acc)
report.save_figure(fig, run, "missing-5-billion-waterfall")

# %% [markdown]
# ## How much each assumption matters
#
# One assumption changed at a time (same seed). The reading of the pre-existing trend (H4) moves
# the answer most: two single days (#3, #30) suggest a steep decline, the February comparison a
# mild one, and the first half of March (#361, "less than 51") a rise. Whether the after window
# holds 16 March (H2) is unknown; the reference gives it probability 0.5.

# %%
residual.sensitivity(acc, table).style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## H5: how much collateral would close the gap?
#
# Nobody published how the other botnets fared at the takedown, so the accounting applies no change
# (a symmetric range around zero would explain nothing by construction). Instead: how large a fall
# of the other botnets' output (all botnets' share #9 times the before level, minus Rustock) would
# close the residual? Bagle's rising share (#18, #19, #339) and Lethic's lead from 17 March (#365)
# speak against a large fall, but shares rise mechanically when Rustock leaves.

# %%
collateral = residual.collateral_curve(acc)
fig = plots.plot_collateral(collateral)
report.save_figure(fig, run, "missing-5-billion-collateral-needed")
collateral.round(2)

# %% [markdown]
# ## A synthetic world for each explanation
#
# A different question: could a world in which one explanation holds have *produced* the published
# numbers at once? The **synthetic scenario** simulates a daily series per spam source, with free
# parameters fitted so that the simulated windows reproduce the fitted figures. This is a model,
# **not data about 2011**. `consistent` only says the *fitted* figures are reproduced within 2%; the
# figure title names the unfitted rows a scenario breaks (for `combined`: #2, #236, #251, #361,
# among others, as the constraint table shows).

# %%
cals = scenario.calibrate_all(seed=seed)
scenario.summary(cals).round(3)

# %%
fig = plots.plot_series(cals["combined"])
report.save_figure(fig, run, "scenario-combined-by-source-synthetic")
cals["combined"].constraints.round(3)

# %% [markdown]
# ## What the synthetic worlds can and cannot tell apart
#
# Fitting the takedown model to each synthetic world: `total_step` is the fall in total daily
# volume; `non_rustock_step` the fall in everything except Rustock, which only per-source data can
# show; `second_step_in_total` a second drop on 17 March seen in totals alone (synthetic bn/day, 95%
# intervals). Compare each estimate with `true_non_rustock_step`. Where a second source simply
# stops (`second_source`, `other_botnets`), per-source data find a fall, though smaller than the
# truth. Where a decline was already under way (`pre_trend`, `combined`), the estimate misses the
# truth by several billion with intervals about as wide as the residual itself: with this much
# noise, a few weeks of per-source data would not settle the question. Daily totals cannot tell
# any of the worlds apart (every `second_step_in_total` interval spans zero).

# %%
scenario.distinguish(cals)[["hypothesis", "true_non_rustock_step", "total_step",
                            "non_rustock_step", "non_rustock_step_low", "non_rustock_step_high",
                            "second_step_in_total", "second_step_in_total_low",
                            "second_step_in_total_high"]].round(2)

# %% [markdown]
# The overlay shows the synthetic totals around the takedown. Where the curves part, a real daily
# series (a vendor's daily counts, a spam trap's archive run through `spamlab ingest`, or your mail
# server's logs, notebook 05) could tell the hypotheses apart; where they overlap, no data of that
# kind could. Notebook 04 asks how many days of data that takes.

# %%
fig = plots.hypotheses_side_by_side(
    cals, start="2011-02-20", end="2011-04-10", marks=[(interruption, "Rustock takedown")],
    title="Total daily spam around the takedown, one line per hypothesis (SYNTHETIC, not data)")
report.save_figure(fig, run, "missing-5-billion-hypotheses-around-takedown-synthetic")

# %% [markdown]
# ## What data would settle each hypothesis
#
# Each hypothesis names the data that would decide it, and the result of notebook 06
# (`spamlab run --data FILE --sources ... --target rustock`, or `--events DIR` for a trap's
# ingested mail) that would do so.
#
# | hypothesis | the data that would settle it | the notebook 06 result that settles it |
# |---|---|---|
# | H1 Rustock sent more than 13.82 bn/day | Rustock's daily volume on the total's scale: a vendor's daily export by botnet, or a trap's mail grouped by fingerprint (sending /24, HELO) | the target's `change` against the total's: a `residual` interval around zero |
# | H2 the after window holds part of 16 March | timestamped daily counts (a trap's `Received:` times) | the partial day modelled, the post window of whole days: the `residual` with no window to choose |
# | H3 the windows hold different weekdays | daily counts over whole weeks | the `residual` with a weekly cycle fitted (`seasonality="dow"`) and without |
# | H4 spam was already falling | weeks of daily counts before the takedown | the counterfactual carries the pre-period trend: the `residual` once the trend is fitted |
# | H5 the other botnets fell too | daily counts of the other botnets, or the trap's other fingerprint groups | `explained`: the other sources' `change` and status `fell`, and the residual `left` near zero |
# | H6 rounding and noise of two window means | any daily series of the total | the `residual`'s 95% interval, from the daily noise instead of two rounded numbers |

# %% [markdown]
# ## Results

# %%
report.write_fragment(run, "03-the-missing-5-billion", {
    **acc.results_dict(),
    "scenario_hypotheses": scenario.summary(cals)[["hypothesis", "consistent", "max_rel_error",
                                                  "worst_figure_id"]],
})

# %% [markdown]
# ## Appendix A: do the published numbers agree with each other?
#
# Implied values from combinations of figures, compared with stated ones where possible (within
# 5%). Two results matter above: 13.82 / 28.5% (#1, #2) and Bagle's 8.31 / 17.2% (#8, #18) both
# imply a base of about 48.5 billion, not 52 (H1); and the day-over-day steps -24.7% and -11.9%
# (#28, #29) fit a 14:45 stop only if the vendor's day begins 8-9 hours after midnight UTC, which
# is the day H2 uses by default.

# %%
residual.consistency(table).style.format(precision=3).hide(axis="index")

# %% [markdown]
# ## Appendix B: every assumption, and the full accounting table

# %%
residual.assumption_table(acc.assumptions).style.hide(axis="index")

# %%
acc.table.style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## Versions

# %%
report.versions()
