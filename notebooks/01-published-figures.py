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
# # What the vendors said: spam volume around the Rustock takedown, as published
#
# Most of the world's spam in 2010 was not sent by spammers' own servers but by **botnets**:
# hundreds of thousands of infected home and office PCs, remote-controlled from a few
# command-and-control servers. The largest of them, **Rustock**, sent mostly fake-pharmacy spam.
# On Wednesday 16 March 2011 Microsoft and US marshals seized its control servers, and Rustock
# stopped sending in the middle of the afternoon (UTC).
#
# Nobody outside the security vendors counts the world's spam. What we know about that week comes
# from vendors' reports (Symantec MessageLabs, Commtouch, Cisco, Kaspersky, M86, McAfee ...), mostly
# read through press coverage. This notebook lays those published numbers side by side. Every
# number shown is [published](../../docs/glossary.md#kinds-of-number): it comes from a row of
# `data/raw/published_figures.csv`, cited as `#id`, and the table under each chart gives the rows
# it draws with the URL of the page each was read from. (Links to the glossary work in the HTML
# report, `reports/NAME/`.)
#
# The puzzle the later notebooks work on: Symantec reported global spam falling from an average of
# 52 billion messages a day in the week before the takedown (#5) to about 33 billion a day after it
# (#4), and put Rustock's own output at "as many as" 13.82 billion a day (#1). 52 - 33 = 19 billion
# fewer, of which 13.82 are Rustock's: about 5 billion a day vanished without an explanation.

# %% tags=["parameters"]
data = None  # this notebook reads only the published-figures table
date_col = "date"
value_col = "count"
tz = "UTC"
interruption = "2011-03-16T14:45:00+00:00"  # Rustock stop as timed by CBL (#125)
seed = 0
run_name = "lab"  # folder under reports/ when run by hand (spamlab run sets its own)
reports_dir = None  # None: the project's reports/ folder

# %%
from spamlab import figures, paths, plots, report
from spamlab.plots.published import drawn_rows, sources_table

run = report.Run.start(run_name, reports_dir or paths.reports())
table = figures.load()
takedown = [(interruption, "Rustock takedown")]
shown = ["id", "publisher", "period_start", "period_end", "metric", "entity", "value_low",
         "value_high", "unit", "qualifier"]

print(f"{len(table)} published figures from {table['url'].nunique()} web pages")

# %% [markdown]
# ## The five numbers behind the puzzle
#
# `qualifier` records how the source hedged each number. It matters: 13.82 is an upper bound
# ("as many as"), 52 is a weekly average, 33 is "approximately". The windows of #4 and #5
# ("the previous week", "the days following") were never given as exact dates, so the dates
# below are a reading of the text, not a fact.

# %%
figures.get(table, [1, 2, 3, 4, 5])[shown]

# %% [markdown]
# ## How much spam was there? It depends whom you ask
#
# Each vendor extrapolates "global" spam from its own spam traps and customers' mail, so their
# totals differ at the same moment: Symantec speaks of tens of billions a day (52 in the week
# before the takedown, #5), Commtouch about 150 (#326), Cisco 379 (August 2010, #83), M86 230
# (2010, #275). McAfee's figure appears both as 1.5 and as 1,500 billion a day (#240, #241): one
# copy must have confused billions with trillions. Each bar below is one published figure over
# the period it covers, from 2010 on (log scale). The legend names each figure's *source*: the
# vendor that measured it or, for a press figure that names none (Fairfax, the BBC, The Verge),
# the outlet. The cell below reads the chart's range from the rows it draws.

# %%
volume = drawn_rows(table, "spam_volume_per_day", since="2010-01-01")
low, high = volume.loc[volume["value_low"].idxmin()], volume.loc[volume["value_high"].idxmax()]
print(f"The chart runs from {low['value_low']:g} (#{low['id']}, {low['vendor']}) to "
      f"{high['value_high']:g} billion a day (#{high['id']}, {high['vendor']}), a factor of "
      f"{high['value_high'] / low['value_low']:,.0f}: McAfee's two copies of one quarter.\n"
      f"At the same moment, 1-15 March 2011, Commtouch's {figures.value(table, 326):g} (#326) is "
      f"{figures.value(table, 326) / figures.value(table, 361):.1f} times Symantec's "
      f"{figures.value(table, 361):g} (#361); in 2010, M86's {figures.value(table, 275):g} (#275) "
      f"is {figures.value(table, 275) / figures.value(table, 357):.1f} times Symantec's "
      f"{figures.value(table, 357):g} (#357).")

# %%
fig = plots.plot_published_periods(
    table, "spam_volume_per_day", unit="billion_per_day", marks=takedown, since="2010-01-01",
    title="Global spam per day as published, by source (each bar one figure, labelled #id)",
)
run.save(fig, "published-global-spam-per-day-by-vendor")

# %% [markdown]
# The rows drawn, with the page each was read from:

# %%
sources_table(volume)

# %% [markdown]
# The levels cannot be compared across vendors; changes within one vendor's series can. Drawn
# one vendor per panel, each on its own scale, the changes show: Symantec's figures fall from
# around 100 billion a day in autumn 2010 to 30-50 in 2011 (30 and 33.5 already on New Year's
# Day, #164, #39, during Rustock's Christmas pause), Commtouch's from about 200 (#78) to 150
# (#76, #326) and 94 in early 2012 (#327). Figures about periods that ended before 2010 are left
# out of these panels.

# %%
fig = plots.plot_published_by_vendor(
    table, "spam_volume_per_day", unit="billion_per_day", since="2010-01-01", marks=takedown,
    title="Global spam per day as published, one panel per source (billion messages per day)",
)
run.save(fig, "published-global-spam-per-day-one-panel-per-vendor")

# %% [markdown]
# That is why the analysis of the takedown works with one vendor's (Symantec's) figures at a time.
# The rows of these panels are those of the chart above.
#
# ## The spam *rate*: a different quantity
#
# Many reports give spam as a percentage of all email rather than a count. A rate moves much less
# than the volume: if spam is 80% of all mail and its volume falls by a third while legitimate mail
# stays put, the rate only drops to about 73% (illustrative arithmetic). Small changes in the rate
# (#11, #26, #176: about 2%) were sometimes read as the size of the Rustock drop. The monthly rates
# published by Symantec and Kaspersky are patchy and, where several press copies quote the same
# month, not always identical (dots: every published value; line: the monthly median).

# %%
fig = plots.plot_monthly_rates(table, marks=takedown,
                          title="Spam as a share of all email, monthly, as published by each vendor")
run.save(fig, "published-monthly-spam-rate-by-vendor")

# %% [markdown]
# ## How much did Rustock send?
#
# The sources disagree: 13.82 billion a day (#1, and #13, which places the same number in 2010),
# around 30 (#139, #151), 44.1 in December 2010 (#7), and 50 (Commtouch, March 2011, #75). The
# chart also holds two kinds of much smaller number, which the cell below sets apart: the
# Christmas pause, when Rustock all but stopped sending (#53, #166, 25 December to 1 January),
# and #96, a thousand times below #95 on the same page (one of them confuses millions with
# billions). A claim of "14 billion each week" circulating in the press matches no source found:
# it looks like a misreading of the daily 13.82.

# %%
output = drawn_rows(table, "botnet_output_per_day", entity="Rustock")
set_apart = [53, 166, 96]
sending = output[~output["id"].isin(set_apart)]
print(f"The chart runs from {output['value_low'].min():g} to {output['value_high'].max():g} "
      f"billion a day (a factor of {output['value_high'].max() / output['value_low'].min():,.0f}), "
      f"because of the Christmas pause ({figures.value(table, 53):g}, #53 and #166) and "
      f"{figures.value(table, 96):g} (#96) against {figures.value(table, 95):g} (#95) on the same page.\nWithout those three, the figures for Rustock sending as "
      f"usual run from {sending['value_low'].min():g} to {sending['value_high'].max():g} billion a "
      f"day, a factor of {sending['value_high'].max() / sending['value_low'].min():.1f}.")

# %%
fig = plots.plot_published_periods(
    table, "botnet_output_per_day", entity="Rustock", unit="billion_per_day", marks=takedown,
    title="Rustock's output as published (billion messages per day, each bar one figure)",
)
run.save(fig, "published-rustock-output-per-day")

# %%
sources_table(output)

# %% [markdown]
# ## And what share of all spam was Rustock?
#
# Shares published for Rustock range from 17% (January 2011, #338) through 28.5% (March 2011
# average, #2) to 47.5% (December 2010, #6) and 50-80% in CBL's spam traps (#126-#128). Output and share only agree if
# the total they refer to is the same, which is one of the hypotheses notebook 03 tests.

# %%
fig = plots.plot_published_periods(
    table, "botnet_share_of_spam", entity="Rustock", unit="percent", log=False, marks=takedown,
    title="Rustock's share of all spam as published (percent, each bar one figure)",
)
run.save(fig, "published-rustock-share-of-spam")

# %%
sources_table(drawn_rows(table, "botnet_share_of_spam", entity="Rustock", unit="percent"))

# %% [markdown]
# ## How big was the drop?
#
# Reported sizes of the fall in spam around the takedown: one day against the previous (#28, #29),
# 17 March against 10 March (#30), the 15th against the 17th (#3), and others, some of them for a
# spam *rate* rather than a volume. They measure different windows and quantities, so they need
# not agree; notebook 03 asks how much of the gap the windows explain.

# %%
contra = figures.contradictions(table)
contra[contra["group"] == "size_of_drop"][["figure_id", "publisher", "period_start", "period_end",
                                           "metric", "entity", "value", "unit", "qualifier"]]

# %% [markdown]
# ## The contradictions in one table
#
# Each group collects figures that answer the same question and should agree. The spread within a
# group (lowest against highest, with the figure ids) is the honest range of what was published;
# the later notebooks carry it through instead of picking one number. `bound` says whether the
# source hedged the figure as an upper ("as many as", "less than") or lower ("more than") bound.

# %%
contra.groupby("question", sort=False).agg(
    figures=("figure_id", "count"), lowest=("value_low", "min"), highest=("value_high", "max"),
    units=("unit", "unique"), figure_ids=("figure_id", "unique"))

# %% [markdown]
# ## What this notebook hands on
#
# The results file records the size of the table and the figures the puzzle rests on, so a
# later reader can check they did not change.

# %%
report.write_fragment(run, "01-published-figures", {"synthetic": False,
    "figures_table": {"rows": len(table), "pages": table["url"].nunique()},
    "headline_figures_bn_per_day": {
        "before_week_average": {"value": figures.value(table, 5), "figure_id": 5},
        "after_days": {"value": figures.value(table, 4), "figure_id": 4},
        "rustock_output": {"value": figures.value(table, 1), "figure_id": 1},
    },
})

# %% [markdown]
# ## Versions
#
# The software this notebook ran with, for anyone repeating it.

# %%
report.versions()
