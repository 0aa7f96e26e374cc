# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The missing 5 billion: what the published figures can and cannot explain
#
# When the Rustock botnet's control servers were seized on 16 March 2011, Symantec's MessageLabs
# reported that global spam fell from an average of 52 billion messages a day in the week before
# (#5) to about 33 billion a day in the days after (#4), and that Rustock had been sending "as many
# as" 13.82 billion a day (#1). If Rustock's disappearance explained the whole fall, the fall would
# be 13.82 billion. It was 19 billion. The difference, 52 - 33 - 13.82 = 5.18 billion messages a
# day, is the *naive residual*: spam that vanished that week without anyone saying why.
#
# This notebook takes that arithmetic apart. Each published number comes with hedges ("as many
# as", "approximately"), windows whose exact days were never given, and competing readings in other
# reports. Six explanations (hypotheses) could shrink the residual; each becomes an *adjustment*
# whose size is uncertain, and a seeded Monte Carlo simulation carries every uncertainty through to
# an interval for what remains. Numbers come from the published-figures table (cited `#id`) or
# from named assumptions (listed in the table below); no synthetic data is used until the
# sections on the synthetic scenario, which say so.

# %% tags=["parameters"]
data = None  # this notebook works from the published figures only
date_col = "date"
value_col = "count"
tz = "UTC"
interruption = "2011-03-16T14:45:00+00:00"  # Rustock stop as timed by CBL (#125)
seed = 0
n_draws = 20000  # Monte Carlo draws
run_name = "rustock"
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import figures, paths, plots, report, residual, scenario

run = report.run_dir(run_name, reports_dir or paths.reports())
table = figures.load()
acc = residual.account(table, seed=seed, n_draws=n_draws)
residual_table_csv = residual.write_table(acc, run / "residual_table.csv")
figures.get(table, [5, 4, 1])[["id", "publisher", "period_start", "period_end", "metric",
                               "value", "unit", "qualifier"]]

# %% [markdown]
# ## First, do the published numbers agree with each other?
#
# Several figures can be combined to imply others. Where an implied number can be compared with a
# stated one, the table says whether they agree within 5%. Two results stand out:
#
# * Rustock's output divided by its March share (13.82 / 28.5%, #1, #2) implies a total of about
#   48.5 billion a day, and Bagle's output and share (#8, #18) imply almost the same total, not
#   the 52 billion of the week before (#5). The botnet figures seem to refer to a different,
#   smaller base (hypothesis 1 below).
# * The two day-over-day changes (-24.7% on 16 March, -11.9% on 17 March; #28, #29) compound to
#   the reported -33.6% (#3): those three figures are consistent.

# %%
residual.consistency(table).round(3)

# %% [markdown]
# ## Six explanations, each with its uncertainty
#
# 1. **Different bases.** Rustock's 13.82 billion may be a share of a ~48 billion total, not of the
#    52 billion week; read on the 52 billion base, Rustock's output would be larger.
# 2. **Partial first day.** Rustock stopped mid-afternoon UTC on the 16th (#125, #130). If the
#    "after" window includes the 16th, part of that day still carried Rustock's spam.
# 3. **Weekday composition.** A seven-day "before" window and a shorter "after" window with a
#    weekend in it are not comparable: weekend spam is lower (#212, #218, #219, #384).
# 4. **Pre-existing decline.** Spam was already falling (March -27% on February, #236).
# 5. **Other botnets.** Did others pause too (as at Christmas 2010), or grow (Bagle)? Their
#    change is not published, so it enters as a range.
# 6. **Measurement.** A vendor's daily estimates are noisy; a difference of two window means has
#    an interval, not just a value.
#
# The table lists each adjustment (negative: it removes part of the residual), the residual left
# after it, the 90% interval, the figure ids it uses and the assumptions it needs (billion
# messages per day).

# %%
acc.table.round(2)

# %%
fig = plots.plot_waterfall(acc)
report.save_figure(fig, run, "missing-5-billion-waterfall")

# %% [markdown]
# ## What survives
#
# The printout states the remaining residual with its interval. An interval that spans zero means
# the published figures are *compatible* with no unexplained spam at all, but also with a residual
# larger than the naive 5 billion: the figures cannot tell these apart. Compare the interval
# widths in the table above: the reading of Rustock's output (hypothesis 1) dominates, followed by
# the measurement noise (6) and the trend (4). Per-source daily data would pin down the first and
# the last; the noise of window means shrinks only with more, and more finely timed, data.

# %%
remaining = acc.remaining
print(f"naive residual (#5 - #4 - #1): {acc.naive:.2f} bn/day\n"
      f"after all six adjustments: {remaining['median']:.2f} bn/day, "
      f"{acc.interval:.0%} interval {remaining['low']:.2f} to {remaining['high']:.2f}")

# %% [markdown]
# ## A synthetic world for each explanation
#
# The accounting above works on the published numbers only. A different question is whether a
# world in which one explanation holds could have *produced* all those numbers at once. The
# **synthetic scenario** answers it: a simulated daily series for each spam source (Rustock,
# Bagle, other botnets, non-botnet spam), with a weekly cycle, trends, noise, the Christmas pause
# and the takedown, whose free parameters are fitted so that the simulated windows reproduce the
# published figures. One calibration per hypothesis; `consistent` says whether every fitted figure
# is reproduced within tolerance, and `worst_figure_id` names the figure it misses most. This is a
# model, **not data about 2011**.

# %%
cals = scenario.calibrate_all(seed=seed)
scenario.summary(cals).round(3)

# %%
fig = plots.plot_series(cals["combined"])
report.save_figure(fig, run, "scenario-combined-by-source-synthetic")

# %% [markdown]
# ## What data would settle it
#
# The hypotheses predict different daily paths for the same published window averages: a decline
# already under way before 16 March, a second source stopping a day later, a weekend inside the
# "after" window. Fitting the takedown model to each synthetic world shows which kind of data
# would reveal them: `total_step` is the fall in *total* daily volume (all hypotheses show one);
# `non_rustock_step` is the fall in everything *except* Rustock, which only per-source data (a
# spam trap that attributes messages to botnets) can measure; `second_step_in_total` tests a
# second drop on 17 March using daily totals alone. Values in billion messages a day (synthetic),
# with 95% intervals.

# %%
scenario.distinguish(cals)[["hypothesis", "true_non_rustock_step", "total_step",
                            "non_rustock_step", "non_rustock_step_low", "non_rustock_step_high",
                            "second_step_in_total", "second_step_in_total_low",
                            "second_step_in_total_high"]].round(2)

# %% [markdown]
# The overlay below shows the synthetic totals around the takedown. Where the curves part, a real
# daily series (a vendor's daily counts, a spam trap's archive run through `spamlab ingest`, or
# your mail server's logs, analysed in notebook 05) would tell the hypotheses apart; where they
# overlap, no data of that kind could. Notebook 04 asks how many days of data that takes.

# %%
fig = plots.hypotheses_side_by_side(
    cals, start="2011-02-20", end="2011-04-10", marks=[(interruption, "Rustock takedown")],
    title="Total daily spam around the takedown, one line per hypothesis (SYNTHETIC, not data)")
report.save_figure(fig, run, "missing-5-billion-hypotheses-around-takedown-synthetic")

# %% [markdown]
# ## Results

# %%
report.write_fragment(run, "03-the-missing-5-billion", {
    **acc.results_dict(),
    "scenario_hypotheses": scenario.summary(cals)[["hypothesis", "consistent", "max_rel_error",
                                                  "worst_figure_id"]],
})

# %% [markdown]
# ## Versions

# %%
report.versions()
