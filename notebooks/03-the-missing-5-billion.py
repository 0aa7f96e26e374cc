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
# **The answer.** Under the assumptions stated below, the fall in spam that Rustock does not
# explain lies anywhere from about -4 to +11 billion messages a day (a 90%
# [sensitivity range](../../docs/glossary.md#sensitivity-range), not a
# [confidence interval](../../docs/glossary.md#confidence-interval); median 5.0, mean 4.6; 16% of the simulations fall below zero), and the
# reading that moves it most is that of the trend before the takedown: taken from two single days,
# 10 and 15 March (#30, #3), it leaves a median of 1.0 with 42% of the simulations below zero;
# taken from the first half of March ("less than 51", #361), 7.8. The starting point is Symantec's
# 52 - 33 - 13.82 = 5.18 billion a day (#5, #4, #1) at the takedown of 16 March 2011, and the
# median lands near it only because adjustments of opposite sign cancel; Rustock's 13.82 is "as
# many as" in one outlet (#1) but "more than 13" and "more than 13.8" at its peak in others
# (#323, #303), so it is a value with uncertainty, neither a ceiling nor a floor. Other vendors'
# shares of Rustock, put on the same 52-billion week, point both ways (0.6 to 8.1 billion a day
# left): Kaspersky's 30-40% (#168, #169) leaves 0.6 and Commtouch's first-quarter figures (about
# 50 of 149, #75, #76) 1.4, but Commtouch's 30 of 150 for 1-15 March (#328, #326) leaves 8.1,
# against 3.9 to 6.3 from Symantec's own readings of Rustock. No published document settles it: the botnet
# table of MessageLabs' March 2011 report is monthly and could fix only the base of Rustock's 28.5%
# share (H1); the daily chart behind 52 and 33 (#28-#30) could fix the windows, weekdays and trend
# (H2-H4, H6); and a collateral fall of the other botnets (about a sixth of their output would
# close the gap; nobody has reported one) needs per-botnet daily data.
#
# How to read what follows: numbers about 2011 come from the published-figures table (cited `#id`);
# everything else is a named assumption, printed in the appendix. Each explanation (hypothesis) is
# an *adjustment* of the residual; a seeded Monte Carlo simulation draws every uncertain input.
# Ranges are **sensitivity ranges under those stated assumptions**, not confidence intervals.
# (Links to the glossary work in the HTML report, `reports/NAME/`.)
#
# The words are those of notebook 06, which does this accounting on data. The **fall** of a
# series is how much it fell at the takedown, per day (52 - 33 for the total; notebook 06
# measures it as [counterfactual](../../docs/glossary.md#counterfactual) minus observed, negative
# for a series that grew). The **target** is the source whose
# disappearance is accounted for, Rustock, which **vanished**. The **residual** is the fall of
# the total minus the fall of the target: the part of the fall the target does not **explain**.
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

run = report.Run.start(run_name, reports_dir or paths.reports())
table = figures.load()
acc = residual.account_from_figures(table, seed=seed, n_draws=n_draws)
residual_table_csv = residual.write_table(acc, run / "residual_table.csv")
remaining = acc.remaining
print(f"after the adjustments: {acc.interval:.0%} sensitivity range {remaining['low']:.2f} to "
      f"{remaining['high']:.2f} bn/day (stated priors, not a confidence interval); "
      f"median {remaining['median']:.2f}, mean {remaining['mean']:.2f}\n"
      f"P(residual < 0) = {acc.p_below_zero:.2f}; P(residual > naive) = {acc.p_above_naive:.2f}\n"
      f"naive residual (#5 - #4 - #1): {acc.naive:.2f} bn/day")
figures.get(table, [5, 4, 1, 323, 303])[["id", "publisher", "period_start", "period_end", "metric",
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
# ## Rustock's output, read six ways
#
# How much did Rustock send on the 52-billion base? MessageLabs' own figures allow three readings,
# pooled with equal weights: 13.82 as stated (#1); 28.5% of the 52 bn week (#2, #5); and 28.5% of
# the *botnet* spam, 83.1% of the week (#9; #2 reads "percent of global spam sent from all
# botnets"). The 13.82 is hedged both ways: "as many as" in one outlet (#1), "more than 13" (#323)
# and "more than 13.8" at its peak (#303) in others; #1 covers 1-15 March while the before window
# is 8-15 March, and Rustock sent in bursts (the page of #337-#339). It is therefore a value with
# uncertainty, neither a cap nor a floor: `stated_output_change` draws it below 13.82 or above it,
# and the sensitivity table shows both sides. Three other vendors' shares of Rustock are shown but
# not pooled, because each vendor measures on its own scale (notebook 01) and putting one vendor's
# share on another's volume mixes two instruments: Commtouch's 30 of 150 billion for 1-15 March
# (#328, #326; 20%), Commtouch's about 50 billion for 1-16 March against its first-quarter average
# of 149 (#75, #76; 33.6%) and Kaspersky's "nearly" 30-40% (#168, #169). They point both ways: the
# first leaves more than the naive residual, the other two little. Two earlier readings are
# dropped. A floor of 13 billion: #148 and #323 repeat #1 rounded, they do not bound it. And the
# March share spread over the days before the takedown only (0.285 x the month's volume / 15.6 days
# = 24.1 billion a day): its own derivation fails, because the same report's 13.82 is 28.5% of 48.5
# billion a day (#1, #2; Appendix A), so the 28.5% is a share of a day's volume while Rustock was
# sending, not of the month's spam packed into its first half.

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
run.save(fig, "missing-5-billion-waterfall")

# %% [markdown]
# ## How much each assumption matters
#
# One assumption changed at a time (same seed); `changes` names the fields changed and
# `median_shift` how far the median moves. The reading of the pre-existing trend (H4) moves the
# answer most: two single days (#3, #30) suggest a steep decline, the February comparison a mild
# one, and the first half of March (#361, "less than 51") a rise. Whether the after window holds
# 16 March (H2) is unknown; the reference gives it probability 0.5. Three assumptions the figures do
# not pin down are shown from both sides, today's value being the reference:
#
# - **Rustock's 13.82 (#1)** read as a cap (drawn up to 7% below it, "as many as") or as a floor (up
#   to 7% above it, "more than" in #303 and #323); 7% is the distance to 14.82, the 28.5% reading
#   (#2, #5), and 13 (#323) lies 6% below. With three readings pooled each side moves the median by
#   less than 0.2.
# - **The width of "less than 51" (#361)**: 51 itself (width 0), or anywhere in [48, 51] (width 3),
#   which holds the 48.5 base that #1 and #2 imply and also satisfies "less than 51". Under that
#   reading alone the median moves from 7.8 (width 1) to 9.1.
# - **Day-to-day noise (H6, and the two single days of H4)**: the 3-10% coefficient of variation has
#   no published source. Without it the range narrows (about -1 to +10); with the 4.7-14% that the
#   published weekend ratios alone give (#212, #218, #219, #384), it widens (about -6 to +13), but
#   that swing is the weekly cycle H3 already corrects for, so it counts it twice.

# %%
residual.assumption_sensitivity(acc, table).style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## H5: how much collateral would close the gap?
#
# Nobody published how the other botnets fared at the takedown, so the accounting applies no change
# (a symmetric range around zero would explain nothing by construction). Instead: how large a fall
# of the other botnets' output (all botnets' share #9 times the before level, minus Rustock) would
# close the residual? The published shares do not answer it: Bagle's share *fell* from 20% in
# January (#339) to 17.2% in March (#18), its 8.31 billion a day (#8) is a first-quarter average,
# Lethic's lead from 17 March (#365) is a rank, and none of these rows speaks of 16 March.

# %%
collateral = residual.collateral_curve(acc)
collateral.round(2)

# %%
fig = plots.plot_collateral(collateral)
run.save(fig, "missing-5-billion-collateral-needed")

# %% [markdown]
# ## Four things the accounting does not model, and what each does to the residual
#
# Each line computes from the figures table what the point does to the residual (billion messages
# a day); none is pooled into the Monte Carlo above, because the figures give no size for it.
#
# - **(a) Unnamed botnets.** 83.1% of March spam came from botnets (#9) but 74% from the top ten
#   (#27). Rustock mail filed under unnamed botnets would have left with Rustock yet show up as
#   residual: the botnet spam outside the top ten is nearly as large as the naive residual, and
#   this can only *lower* the residual, by an unknown part of that amount.
# - **(b) Vantage inside one vendor.** MessageLabs' volumes come from its customers' traffic, its
#   shares from its traps; CBL's traps put Rustock at 50-70% of spam (#126, #127) against
#   MessageLabs' 28.5% (#2). A trap's share on a customer volume would turn the residual strongly
#   negative: this says the share depends on where it is measured, so H1's readings are only as
#   good as the vantage they share with 52 and 33.
# - **(c) Other botnets ramping up after the takedown** raise the after level, so what else vanished
#   is *larger* than the residual shows. The after level also depends on the window: "less than
#   32" for 17 March - 15 April (#362) leaves more than the naive residual, April's 36.9 (#249)
#   much less.
# - **(d) Weekdays inside the trend reading.** The 10-vs-15 March reading compares a Thursday with a
#   Tuesday (15 vs 17 March, #3, is Tuesday against Thursday); #30 (10 vs 17 March) compares Thursday
#   with Thursday. Microsoft's weekday index puts Thursday 0.9% above Tuesday (#216, #214): taking it
#   out of that reading *raises* its residual slightly.

# %%
residual.unmodelled_points(table, seed=seed, n_draws=n_draws).round(2)

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
cals["combined"].constraints.round(3)

# %%
fig = plots.plot_scenario(cals["combined"])
run.save(fig, "scenario-combined-by-source-synthetic")

# %% [markdown]
# ## What the synthetic worlds can and cannot tell apart
#
# Fitting the takedown model (an [ITS](../../docs/glossary.md#its) fit) to each synthetic world:
# `total_step` is the fall in total daily volume; `non_rustock_step` the fall in everything except Rustock, which only per-source data can
# show; `second_step_in_total` a second drop on 17 March seen in totals alone (synthetic bn/day, 95%
# intervals). Compare each estimate with `true_non_rustock_step`. Where a second source simply
# stops (`second_source`, `other_botnets`), per-source data find a fall, though smaller than the
# truth. Where a decline was already under way (`pre_trend`, `combined`), the estimate misses the
# truth by several billion with intervals about as wide as the residual itself: with this much
# noise, a few weeks of per-source data would not settle the question. Daily totals cannot tell
# any of the worlds apart (every `second_step_in_total` interval spans zero).
#
# The overlay after the table shows the synthetic totals around the takedown. Where the curves
# part, a real daily series (a vendor's daily counts, a spam trap's archive run through `spamlab
# ingest`, or your mail server's logs, notebook 05) could tell the hypotheses apart; where they
# overlap, no data of that kind could. Notebook 04 asks how many days of data that takes.

# %%
scenario.distinguish(cals)[["hypothesis", "true_non_rustock_step", "total_step",
                            "non_rustock_step", "non_rustock_step_low", "non_rustock_step_high",
                            "second_step_in_total", "second_step_in_total_low",
                            "second_step_in_total_high"]].round(2)

# %%
fig = plots.plot_hypotheses_side_by_side(
    cals, start="2011-02-20", end="2011-04-10", marks=[(interruption, "Rustock takedown")],
    title="Total daily spam around the takedown, one line per hypothesis (SYNTHETIC, not data)")
run.save(fig, "missing-5-billion-hypotheses-around-takedown-synthetic")

# %% [markdown]
# ## What data would settle each hypothesis
#
# Each hypothesis names the data that would decide it, and the result of notebook 06
# (`spamlab run --data FILE --sources ... --target rustock`, or `--events DIR` for a trap's
# ingested mail) that would do so.
#
# | hypothesis | the data that would settle it | the notebook 06 result that settles it |
# |---|---|---|
# | H1 Rustock's output on the 52 bn week is not 13.82 bn/day | Rustock's daily volume on the total's scale: a vendor's daily export by botnet, or a trap's mail grouped by fingerprint (sending /24, HELO) | the target's `change` against the total's: a `residual` interval around zero |
# | H2 the after window holds part of 16 March | timestamped daily counts (a trap's `Received:` times) | the partial day modelled, the post window of whole days: the `residual` with no window to choose |
# | H3 the windows hold different weekdays | daily counts over whole weeks | the `residual` with a weekly cycle fitted (`seasonality="dow"`) and without |
# | H4 spam was already falling | weeks of daily counts before the takedown | the counterfactual carries the pre-period trend: the `residual` once the trend is fitted |
# | H5 the other botnets fell too | daily counts of the other botnets, or the trap's other fingerprint groups | `explained`: the other sources' `change` and status `fell`, and the residual `left` near zero |
# | H6 rounding and noise of two window means | any daily series of the total | the `residual`'s 95% interval, from the daily noise instead of two rounded numbers |
#
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
# ## Results and versions
#
# The results file of the run receives the accounting (with the scenario block, labelled
# synthetic); the software this notebook ran with is listed for anyone repeating it.

# %%
report.write_fragment(run, "03-the-missing-5-billion", {
    "synthetic": False,  # the residual is from published figures; the scenario block is synthetic
    **acc.to_dict(),
    "scenario_hypotheses": {"synthetic": True, "rows": scenario.summary(cals)[
        ["hypothesis", "consistent", "max_rel_error", "worst_figure_id"]]},
})
report.versions()
