"""Write mailserver_daily.csv: a SYNTHETIC mail server's daily spam counts (not data about 2011).

The file imitates what a mail administrator exports from a spam filter's daily report:
comment lines above the header, semicolons, day.month.year dates, Windows line ends, a
total column and three source columns, three days missing (the server's logging was
down) and one day whose cells are empty.

The truth it is built with: before 16 March 2011 14:45 UTC, source BotnetA sends 45% of
the expected total, BotnetB 20% and Other 35%, on a slowly falling trend with a weekly
cycle (weekends at 80%) and autocorrelated day-to-day noise. At that moment BotnetA
stops (16 March keeps the 14.75 hours before it) and BotnetB grows by 10%, so the total
runs at 0.45 * 0 + 0.20 * 1.1 + 0.35 = 0.57 of its counterfactual afterwards.

Run from the project root: ``.venv/bin/python data/sample/make_mailserver_daily.py``.
The seed is fixed, so the file is always the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20110316
FIRST, LAST = "2011-01-03", "2011-05-01"
TAKEDOWN = pd.Timestamp("2011-03-16 14:45")
BASE = 42_000.0  # expected total on the first day, messages
SHARES = {"BotnetA": 0.45, "BotnetB": 0.20, "Other": 0.35}
AFTER = {"BotnetA": 0.0, "BotnetB": 1.10, "Other": 1.0}  # factor after the takedown
TREND = -0.0008  # per day, on the log scale
WEEKEND = 0.80
RHO, NOISE_SD = 0.5, 0.06
MISSING_DAYS = ("2011-02-12", "2011-04-02", "2011-04-03")
EMPTY_DAY = "2011-03-05"
TRUE_RATIO = sum(SHARES[s] * AFTER[s] for s in SHARES)  # 0.57


def build(seed: int = SEED) -> pd.DataFrame:
    """The daily counts by source and their total, before the quirks of the export."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(FIRST, LAST, freq="D")
    t = np.arange(len(days))
    shared = np.zeros(len(days))
    for i in range(1, len(days)):
        shared[i] = RHO * shared[i - 1] + rng.normal(0, NOISE_SD)
    level = BASE * np.exp(TREND * t + shared) * np.where(days.day_of_week >= 5, WEEKEND, 1.0)
    before = np.clip((TAKEDOWN - days) / pd.Timedelta("1D"), 0, 1)  # share of each day before
    frame = pd.DataFrame(index=days)
    for source, share in SHARES.items():
        factor = before + (1 - before) * AFTER[source]
        frame[source] = rng.poisson(level * share * factor * np.exp(rng.normal(0, 0.03, len(t))))
    frame.insert(0, "Total", frame.sum(axis=1))
    return frame


def write(frame: pd.DataFrame, path: Path) -> None:
    """The export: comments, ';', dd.mm.yyyy, CRLF, missing days and one empty day."""
    lines = [
        ("# SYNTHETIC sample export made by data/sample/make_mailserver_daily.py (seed "
         f"{SEED}); not data about 2011"),
        "# Daily spam report, mail gateway mx1.example.net; counts of messages classified as spam",
        "Date;Total;BotnetA;BotnetB;Other",
    ]
    for day, row in frame.iterrows():
        stamp = day.strftime("%Y-%m-%d")
        if stamp in MISSING_DAYS:
            continue
        cells = [""] * 4 if stamp == EMPTY_DAY else [str(int(v)) for v in row]
        lines.append(";".join([day.strftime("%d.%m.%Y"), *cells]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


if __name__ == "__main__":
    write(build(), Path(__file__).with_name("mailserver_daily.csv"))
