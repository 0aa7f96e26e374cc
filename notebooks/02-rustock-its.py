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
# # Did spam fall when Rustock was taken down? An interrupted time series
#
# Rustock, a network of infected PCs sending spam on command, went silent at about 14:45 UTC on
# 16 March 2011 when its control servers were seized (#125; MessageLabs said about 15:30, #130).
# It had gone quiet before, sometimes for weeks at a time; the pause this notebook uses ran over
# Christmas: global spam fell from 80.2 billion a day on 24 December 2010 to 33.5 on 1 January
# (#38, #39), 58% less over 25 December to 8 January (#337), with Rustock itself at about half a
# billion a day over 25-31 December (#53), until it returned on 10 January 2011 (#54). A daily
# series of spam volume therefore has two natural experiments in it.
#
# An **[interrupted time series](../../docs/glossary.md#its)** (ITS) analysis fits the series' course before an
# interruption (level, trend, weekly cycle), extends it past the interruption as a
# *[counterfactual](../../docs/glossary.md#counterfactual)* (what would have happened without it), and measures the
# gap. (Terms in links are explained in the [glossary](../../docs/glossary.md).) The details that matter here:
#
# * **Partial-day exposure.** The takedown came mid-afternoon, so 16 March counts as about 38%
#   "after" (9 h 15 min of 24 h), not as wholly before or after.
# * **The Christmas pause** enters as two more interruptions (the stop and the return), so it does
#   not bias the pre-takedown trend. Each segment between interruptions gets its own level and
#   trend (spam was falling through the winter and rising again in spring), so the counterfactual
#   for the takedown extends the course of the weeks between the return and the takedown.
# * **Weekly seasonality.** Spam is lower at weekends; a day-of-week term absorbs that.
# * **Autocorrelation.** Today's volume resembles yesterday's. Ignoring this makes intervals too
#   narrow; the model below uses [AR(1)](../../docs/glossary.md#ar1) errors and compares.
#
# **Which data?** No vendor ever published a daily series of global spam for early 2011. By default
# this notebook analyses the **synthetic scenario**: a simulated daily series by spam source,
# calibrated to the published figures (notebook 03 explains it), in its `combined` version, the
# one hypothesis whose calibration matches every figure it was fitted to (Symantec's 52 and 33
# billion a day among them). It does not reproduce the figures table: other figures it misses by
# a wide margin, and the first section below lists, computed from the calibration, which it
# matches and which it misses by how much. It shows what the method would find if the world
# looked like the scenario; it is **not evidence about 2011**, and every title and file name
# below says *synthetic*. Give a daily series of your own (`spamlab run --data ...`) and the same
# analysis runs on it.

# %% tags=["parameters"]
data = None  # your daily CSV or Parquet file, or None for the synthetic scenario
date_col = "date"
value_col = "count"
tz = None  # zone of dates without an offset, and of the days; None: UTC (dates alone: UTC days)
# how the file is read: options of spamlab.series.ReadOptions, e.g. {"sep": ";",
# "date_format": "%d.%m.%Y", "encoding": "cp1252"}; {}: separator and decimal mark
# sniffed, dates ISO 8601 or day/month in the order their numbers prove
reading = {}
min_coverage = 0.25  # days observed less than this share (hours of an hourly export) are gaps
# the Christmas pause (from 25 December, #337; Rustock's return on 10 January, #54) and the
# takedown, as timed by CBL (#125); the last is reported
interruptions = ["2010-12-25T00:00:00+00:00", "2011-01-10T00:00:00+00:00",
                 "2011-03-16T14:45:00+00:00"]
hypothesis = "combined"  # the calibrated scenario standing in for data (fits its figures)
family = "gaussian"
transform = "log"  # effects are ratios: 0.7 means 30% less
errors = "ar1"
seasonality = "dow"
slope_change = True  # each segment gets its own trend
takedown_window = ["2011-01-10", "2011-04-30"]  # days fitted around the takedown; None: all
seed = 0
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import figures, inputs, its, paths, plots, report, scenario, tables
from spamlab.plots.its import defended_horizon, plot_its
from spamlab.plots.scenario import calibrated_until

inp = (inputs.read_daily(data, date_col=date_col, value_col=value_col, tz=tz, reading=reading,
                         min_coverage=min_coverage) if data is not None
       else inputs.synthetic_daily(seed=seed, hypothesis=hypothesis))
run = report.Run.start(run_name, reports_dir or paths.reports(), data=inp)
moments = inputs.moments(interruptions, tz)
interruption = moments[-1]  # the one reported; the earlier ones keep the trend unbiased
marks = [(moment, "interruption") for moment in moments]
print(f"{inp.label}: {len(inp.frame)} days, {inp.frame.index[0]:%d %b %Y} to "
      f"{inp.frame.index[-1]:%d %b %Y}, in {inp.unit}")

# %% [markdown]
# On the synthetic scenario the figure stops where the scenario's calibration ends: the last day
# of a published figure it was fitted to. After that day the scenario runs on its fitted trends
# alone, and the sentence under the figure compares it with the monthly totals published for May
# and June (the scenario's means, noise-free, as in the calibration table below): it is cut there,
# not recalibrated to those months. Your own data is shown whole.

# %%
fitted_scenario = scenario.calibrate(hypothesis, seed=seed) if inp.synthetic else None
shown_until = calibrated_until(fitted_scenario) if fitted_scenario is not None else None
last_day = f"{shown_until:%Y-%m-%d}" if shown_until is not None else None
fig = plots.plot_daily_series(inp.frame.loc[:last_day], [inp.y], title=run.title(
    f"Daily spam volume{', to the end of the calibration' if last_day else ''}"),
                         ylabel=inp.unit, marks=marks)
run.save(fig, "daily-volume")

# %%
print(tables.calibration_end_reading(fitted_scenario.constraints, figures.load(), shown_until,
                                     inp.unit, run.tag)
      if shown_until is not None else "Your data: shown whole (there is no calibration).")

# %% [markdown]
# ## What the synthetic scenario matches, and what it misses
#
# The scenario's free parameters were fitted to some figures of the table; others were left out
# of the fit and serve as checks. Each row: the figure's id, its published value (`target`), the
# scenario's value (`achieved`) and the relative difference. A figure the scenario misses is a
# place where the model, and so every number below, departs from what was published. (On your
# own data there is no calibration, and this section says so.)

# %%
calibration = (report.calibration_fit(fitted_scenario.constraints, fitted_scenario.tolerance)
               if fitted_scenario is not None else None)
print(calibration["in_words"] if calibration is not None else "Your data: no calibration.")

# %%
calibration["missed"].round(3) if calibration is not None else None

# %% [markdown]
# ## The fitted model
#
# Two rows per interruption. The *level change* is the ratio of the volume just after the
# interruption to the volume the preceding segment's course predicts (a log-scale model, so 0.7
# means 30% less); the *slope change* is the change in the daily growth factor. Each comes with
# its 95% interval. The takedown is the last interruption. The model is stated once, as a
# specification, and every fit below reuses it.

# %%
model = its.Specification(family=family, transform=transform, seasonality=seasonality,
                          errors=errors, slope_change=slope_change, seed=seed)
y = inp.y_for(family, transform, exposure=False)  # a partly covered day scaled to a whole day
res = its.fit(inp.frame, y=y, interruptions=moments, spec=model)
res.effects

# %% [markdown]
# ## What the model says, in words

# %%
print(res.summary())
print(tables.cumulative_reading(res, inp.unit, moments[0], run.tag))

# %% [markdown]
# ## Zooming in on the takedown
#
# The model above describes the whole series; its counterfactual switches off *every*
# interruption at once, which is not the question for the takedown. Fitting only the weeks from
# Rustock's return after the holidays onwards, with the takedown as the single interruption,
# gives the counterfactual that matters: how much spam the weeks before 16 March predict for the
# weeks after. Both fits should agree on the level change at the takedown.
#
# **How far the counterfactual is shown.** The counterfactual extends the pre-takedown trend, and
# its 95% prediction band widens with every day it is carried further. The figure draws it, and the
# daily and cumulative effects, only as long as the observed days lie *outside* that band, counted
# from the takedown: on those days the data tell the counterfactual apart from what happened. From
# the first day the observed falls inside the band, the no-takedown model could have produced that
# day itself, and the gap measures the extrapolated trend rather than the takedown. The sentences
# under the figure give that horizon and what the counterfactual does beyond it.

# %%
window = inputs.last_segment(inp.frame, moments, takedown_window)
res_takedown = its.fit(window, y=y, interruptions=[interruption], spec=model)
horizon = defended_horizon(res_takedown)
fig = plot_its(res_takedown, title=run.title("Daily volume around the takedown: observed, "
                                                "fitted and counterfactual"), ylabel=inp.unit,
                  until=horizon if horizon is not None else interruption)
run.save(fig, "counterfactual")

# %%
print(tables.horizon_reading(res_takedown, horizon, inp.unit, run.tag))

# %% [markdown]
# ### Does the takedown fit describe the data?
#
# Three views a reviewer checks next to an ITS fit. The residuals over time (observed against
# fitted on the log scale: -0.2 is about 18% below the fit) should show no pattern; their
# autocorrelation shows how strongly each day resembles the days before, and should stay inside
# the band (that is what the Ljung-Box test judges); observed against fitted should follow the
# diagonal. With AR(1) errors the fitted values are one-step-ahead predictions (the trend plus
# what is left of yesterday's deviation from it), so they track the data and the residuals are
# what the error model could not predict. When the AR(1) coefficient is near 1 (the figure's
# title gives it) the errors carry slow drifts that the trend does not, and the regression line
# alone is weakly identified: the counterfactual far from the takedown and the cumulative effect
# then rest on the error model, and notebook 04's checks ([placebo dates](../../docs/glossary.md#placebo), other specifications)
# matter more than the fit's own interval.

# %%
fig = plots.plot_diagnostics(res_takedown, ylabel=inp.unit,
                             title=run.title("Residual diagnostics of the takedown fit"))
run.save(fig, "residual-diagnostics")

# %% [markdown]
# ## Why autocorrelation matters
#
# The same takedown model with independent errors claims more precision than the data hold:
# compare the interval widths. Day-to-day dependence means fewer independent observations than
# days. The first rows repeat the whole-series model for comparison.

# %%
res_iid = its.fit(window, y=y, interruptions=[interruption], spec=model, errors="iid")
report.effects_side_by_side({"whole series": res, f"takedown window, {errors} errors": res_takedown,
                             "takedown window, independent errors": res_iid}).round(3)

# %%
print(tables.headline_reading(res_takedown.level_change(0), res.level_change(-1), errors,
                              len(moments), res.n_pre, inp.frame.index[-1], shown_until,
                              run.tag))

# %% [markdown]
# ## Diagnostics
#
# Residuals should look like noise. The [Ljung-Box test](../../docs/glossary.md#ljung-box) checks for autocorrelation left over after
# the model (a small p-value means some is left); the Durbin-Watson statistic should be near 2.
# The warnings list what else the fit noticed.

# %%
tables.labelled(res.diagnostics, key="diagnostic of the whole-series fit", value="value",
                exclude=("acf",), digits=4)

# %%
res.warnings

# %% [markdown]
# ## Reading the result honestly
#
# On the synthetic scenario the takedown's level change is what the *model of the published
# figures* implies, not a measurement: the scenario was fitted to Symantec's 52 to 33 billion
# fall (#5, #4), so the fit finding a drop of that size confirms that the method recovers it,
# nothing more; and where the scenario misses a figure (the table above), so may the fit.
# Notebook 04 asks whether the estimate survives placebo dates, an unknown break date and other
# specifications; notebook 03 asks how much of the fall Rustock explains.

# %% [markdown]
# ## The number this notebook reports
#
# The run's headline (`results.json`, the end of `spamlab run`) is the **takedown-window fit**:
# the weeks from the return after the holidays to the end of April, with the takedown as its one
# interruption. The whole-series model is kept beside it (`whole_series`) for comparison; its
# segments between the holiday pause and the return are short, which is what its warnings say.

# %%
headline_fit = (f"02's takedown-window fit ({window.index[0]:%Y-%m-%d} to "
                f"{window.index[-1]:%Y-%m-%d}, {errors} errors)")
report.write_fragment(run, "02-rustock-its", report.its_summary(
    res_takedown, 0, data=inp.label, synthetic=inp.synthetic, unit=inp.unit, fit=headline_fit,
    whole_series=report.its_summary(res, -1),
    **({"calibration": calibration} if calibration is not None else {})))

# %% [markdown]
# ## Versions

# %%
report.versions()
