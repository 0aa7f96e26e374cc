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
# # Your data: did the intervention change your spam volume?
#
# This notebook runs the takedown analysis on a daily series you bring: counts exported from your
# mail server or spam filter, a vendor's daily export, or the `daily_counts.csv` that
# `spamlab ingest` writes from a folder or archive of spam. Everything it does is driven by the
# parameters cell below; you should not need to edit any other cell.
#
# **The question.** On a given moment (the *interruption*: a botnet takedown, a filter change, a
# blocklist outage) something may have changed. The analysis fits the course of your series
# before that moment (a trend and the weekly cycle, with the day-to-day noise and its
# autocorrelation), extends it past the moment as the *counterfactual* (what would have happened
# had nothing changed), and measures how far the observed series departs from it.
#
# Run it from a terminal with
# `spamlab run --data FILE --date-col DATE --value-col COUNT --interruption "YYYY-MM-DD HH:MM" --name NAME`
# (figures and results land in `reports/NAME/`; a semicolon-separated export with decimal commas
# and day.month.year dates is recognised as such), or open it in JupyterLab and edit the parameters.
# Without a data file it falls back to the synthetic Rustock scenario, clearly labelled as such.

# %% tags=["parameters"]
data = None  # path of your CSV or Parquet file, or None for the synthetic scenario
date_col = "date"  # column holding the day (or timestamp)
value_col = "count"  # column holding the number of spam messages
tz = None  # zone of dates without an offset, and of the days; None: UTC (dates alone: UTC days)
# how the file is read: options of spamlab.series.ReadOptions, e.g. {"sep": ";",
# "date_format": "%d.%m.%Y", "encoding": "cp1252"}; {}: separator and decimal mark
# sniffed, dates ISO 8601 or day/month in the order their numbers prove
reading = {}
min_coverage = 0.25  # days observed less than this share (hours of an hourly export) are gaps
exposure_col = None  # fraction of each day observed; None: the "covered" column if the file has one
# the moments of change (a takedown, a filter change): the last one is reported, earlier ones
# are modelled so they do not bias the trend; here Rustock's takedown (#125)
interruptions = ["2011-03-16T14:45:00+00:00"]
family = "quasipoisson"  # counts: "quasipoisson" or "negbin"; "gaussian" with transform "log"
transform = None  # None, or "log" with family "gaussian"
errors = "hac"  # "hac" (autocorrelation-robust intervals), "iid"; "ar1" with gaussian
seasonality = "dow"  # weekly cycle by day of week; None for none
seed = 0
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import explore, inputs, its, paths, plots, report, tables
from spamlab.plots.its import defended_horizon, plot_its

inp = (inputs.read_daily(data, date_col=date_col, value_col=value_col, tz=tz, reading=reading,
                         min_coverage=min_coverage, exposure_col=exposure_col)
       if data is not None else inputs.synthetic_daily(seed=seed))
run = report.Run.start(run_name, reports_dir or paths.reports(), data=inp)
moments = inputs.moments(interruptions, tz)
print(f"Series: {inp.label}; {len(inp.frame)} days from {inp.frame.index[0]:%Y-%m-%d} "
      f"to {inp.frame.index[-1]:%Y-%m-%d}; unit: {inp.unit}; interruptions {moments}")

# %% [markdown]
# ## What was read, and what cleaning did
#
# Nothing is dropped silently: rejected rows are counted, days without any data stay empty (they
# are gaps, not zeros), and unusually high or low days are flagged but kept, so you can look at
# them before deciding anything.

# %%
inputs.cleaning_summary(inp.frame)

# %%
inp.frame[inp.frame["is_outlier"]]

# %%
fig = plots.plot_daily_series(inp.frame, [inp.y], title=run.title("Daily spam volume"),
                         ylabel=inp.unit, marks=[(moment, "interruption") for moment in moments])
run.save(fig, "daily-volume-as-read")

# %% [markdown]
# ## The model
#
# A segmented regression: a level and a linear trend before the interruption, a weekly cycle, and a
# *level change* at the interruption. If the interruption falls inside a day, that day counts as
# partly after it (the fraction of the day after the moment). For counts the effect is a **ratio**:
# 0.6 means the volume after the interruption was 60% of what the pre-period predicts. Intervals are
# 95% and, with `errors="hac"`, allow for autocorrelated noise. A day only partly observed (the
# first and last day of an archive: the `covered` column of `spamlab ingest`'s daily counts, or
# `exposure_col`; for an hourly or finer export, the share of the day's hours logged) enters a
# count model with that fraction as its exposure, so a half-covered day is expected to hold half a
# day's mail (a gaussian model reads it scaled to a whole day); a day under a quarter covered is a gap.

# %%
model = its.Specification(family=family, transform=transform, seasonality=seasonality,
                          errors=errors, seed=seed, slope_change=False,
                          exposure=inp.exposure_for(family, transform))
res = its.fit(inp.frame, y=inp.y_for(family, transform), interruptions=moments, spec=model)
res.effects

# %%
print(res.summary())

# %% [markdown]
# The figure draws the counterfactual, and the daily and cumulative effects, only as long as the
# observed days lie outside the counterfactual's 95% prediction band, counted from the
# interruption: further out the no-interruption model could have produced the observed days
# itself, and the gap would measure the extrapolated pre-period course, not the interruption.

# %%
horizon = defended_horizon(res)
fig = plot_its(res, title=run.title("Observed and counterfactual daily volume"),
                  ylabel=inp.unit, until=horizon if horizon is not None else moments[0])
print(f"Counterfactual shown up to {horizon:%d %b %Y}: the days from the interruption to then lie "
      f"outside its 95% band{run.tag}." if horizon is not None else
      f"The first day after the interruption already lies inside the counterfactual's 95% band: "
      f"the data do not tell it apart from what happened, so it is not drawn after the "
      f"interruption{run.tag}.")
run.save(fig, "counterfactual-whole-series")

# %% [markdown]
# ## Can the model be trusted?
#
# The residuals (observed minus fitted; for counts and log models on the log scale, so -0.2 is
# about 18% below the fit) should look like noise: no pattern over time, autocorrelations inside
# the band, observed close to fitted. The Ljung-Box test asks whether autocorrelation is left
# over ([Ljung-Box](../../docs/glossary.md#ljung-box)); if it is, prefer `errors="hac"` (or `"ar1"` with a gaussian model) and read the
# intervals as approximate. Warnings below say what the fit noticed.

# %%
fig = plots.plot_diagnostics(res, title=run.title("Residual diagnostics of the fit"),
                             ylabel=inp.unit)
run.save(fig, "residual-diagnostics-whole-series")

# %%
tables.labelled(res.diagnostics, key="diagnostic of the fit", value="value", exclude=("acf",),
                digits=4)

# %%
res.warnings

# %% [markdown]
# ## Explore: move the date, change the model
#
# In JupyterLab the controls below refit the model as they move: slide the interruption across
# the days (it keeps its time of day), or pick another error model, family or seasonality, and
# the counterfactual and the effects table are redrawn (a combination the data cannot carry,
# such as `ar1` with a count family, shows why instead). Nothing here changes `results.json`:
# the parameters cell does. The explorer needs a running kernel: an HTML report shows only its
# one-line description here.

# %%
explore.explorer(inp.frame, inp.y, moments, spec=model, ylabel=inp.unit)

# %% [markdown]
# ## Results
#
# `results.json` in the run folder receives the level change (estimate, interval, scale), the
# model, the number of days before and after, and the warnings. Notebook 04 checks how robust the
# estimate is (placebo dates, break search, sensitivity, power).

# %%
report.write_fragment(run, "05-your-data", report.its_summary(
    res, -1, data=inp.label, synthetic=inp.synthetic, unit=inp.unit,
    fit=f"05's fit ({family}{', ' + transform if transform else ''}, {errors} errors, "
        f"{seasonality or 'no'} seasonality)"))

# %% [markdown]
# ## Versions

# %%
report.versions()
