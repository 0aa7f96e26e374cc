"""A spam trap and two vendor exports with a known truth, written without ``spamlab.testing``.

This generator is deliberately independent of :mod:`spamlab.testing` and
:mod:`spamlab.ingest.corpus`: it imports nothing from spamlab, draws with numpy's
``Generator`` (not :mod:`random`), formats its dates with :mod:`zoneinfo` zones, and writes
headers the way other mail software does (folded ``Received`` lines, lower- and upper-case
field names, CRLF files, ``GMT`` and ``(PST)`` zones, ``+0530``). Everything is SYNTHETIC:
invented botnets on invented networks, ``.invalid`` domains.

The world of one seed
---------------------
Three sources send spam to one trap for about eight weeks around a moment ``stop``:

- ``alpha``: a botnet on three /24 networks of its own that stops at ``stop`` (the truth);
- ``beta``: a botnet on two other /24 networks that either carries on or halves at ``stop``;
- ``noise``: mail from everywhere (a fresh /24 for almost every message).

Daily rates follow one weekly cycle and are flat within a day, so a day's share observed is
its share of the day's volume. One ``noise`` message is *misdated*: it has no ``Received``
header and its ``Date:`` is a year off, but the mbox ``From `` line written on delivery holds
its true arrival, which is where the truth counts it.

Written files (:func:`write_world`)
-----------------------------------
``trap/trap.mbox``
    the messages of some days (and the misdated one), each after a ``From `` line in UTC;
``trap/spool/<day>/<name>.eml``
    the other messages, one file each (some with CRLF line endings);
``daily_us.csv``
    a vendor's daily counts of the same sources over five to eight months (its own draw,
    twenty times the trap's volume), with US dates (``3/16/2011``) and a trailing totals row;
``hourly.csv``
    a feed's hourly counts (its own draw, twenty times the trap's volume, on the trap's days)
    stamped in a local zone with its offset, with hours missing after ``stop``.

Examples
--------
>>> world = make_world(3)
>>> world.truth.n_messages == int(world.daily["total"].sum())
True
>>> 0 < world.truth.ratio < 1
True
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

#: Sources of a world, in the order their columns appear in :attr:`World.daily`.
SOURCES = ("alpha", "beta", "noise")
#: First octets used for invented, routable-looking networks (none is a reserved range).
_FIRST_OCTETS = (31, 46, 62, 78, 84, 93, 95, 109, 151, 176, 178, 188, 212, 217)
#: Zones the trap's mail servers stamp their ``Received`` dates in.
_TRAP_ZONES = ("America/New_York", "Asia/Kolkata", "America/Los_Angeles", "UTC", "Europe/Berlin")
_WORDS = ("cheap", "offer", "watch", "pills", "meeting", "invoice", "urgent", "replica", "loan",
          "winner", "account", "update", "photos", "delivery", "secure")


@dataclass(frozen=True)
class Truth:
    """What the world's data must tell.

    Attributes
    ----------
    stop
        The moment ``alpha`` stops (UTC).
    ratio
        Total mail after ``stop`` over total mail had nothing happened (the level-change
        ratio of an interrupted time series on the total).
    beta_after
        ``beta``'s rate after ``stop`` over its rate before (1.0 or 0.5).
    n_messages
        Messages written (the misdated one included).
    misdated_day
        The UTC day the misdated message truly arrived on.
    """

    stop: datetime
    ratio: float
    beta_after: float
    n_messages: int
    misdated_day: date
    rates: dict[str, float] = field(repr=False)
    weekly: tuple[float, ...] = field(repr=False)

    def residual(self, first: date, last: date) -> float:
        """Mean daily fall of everything but ``alpha`` over the days ``first``..``last``.

        The fall is ``beta``'s lost mail (counterfactual minus expected observed), the
        quantity an attribution that targets the vanished groups calls the residual.
        """
        days = pd.date_range(first, last, freq="D")
        cycle = np.array([self.weekly[d.day_of_week] for d in days])
        return float(np.mean(self.rates["beta"] * (1.0 - self.beta_after) * cycle))


@dataclass(frozen=True)
class World:
    """One seed's plan, messages and truth."""

    seed: int
    truth: Truth
    daily: pd.DataFrame  # UTC day -> count per source and total (the messages written)
    vendor: pd.Series  # UTC day -> total of a vendor's longer daily export (its own draw)
    hourly: pd.Series  # UTC hour -> a feed's count over the trap's days (its own draw)
    mail: pd.DataFrame  # one row per message: arrival (epoch s), source, ip, ...
    trap_zone: str
    export_zone: str
    interruption: str  # how a user types the stop on the command line
    crlf_mbox: bool
    hour_gaps: str  # "alternate" | "nights" | "block" | "none"
    clean: bool  # the control world: no misdated message, no missing hours, ISO dates


def make_world(seed: int, clean: bool = False) -> World:
    """Draw the plan and every message of ``seed`` (no files written).

    ``clean=True`` makes the *control* world of the same seed: the same draws, but the
    misdated message keeps its ``Received`` header, no hour is missing from the hourly export
    and the daily export has ISO dates and no totals row. Every run on it should answer
    right: a control that fails points at the generator or the judge, not at the data.

    Examples
    --------
    >>> make_world(0).truth.stop.tzinfo is UTC
    True
    """
    rng = np.random.default_rng([2011, seed])
    stop = datetime(2011, 3, 9, tzinfo=UTC) + timedelta(
        days=int(rng.integers(0, 12)), minutes=int(rng.integers(6 * 60, 22 * 60)))
    first = stop.date() - timedelta(days=int(rng.integers(38, 46)))
    n_days = (stop.date() - first).days + int(rng.integers(14, 19))
    alpha_share = float(rng.uniform(0.25, 0.5))
    scale = float(rng.uniform(140, 200))  # messages per day before the stop, all sources
    beta_after = 0.5 if rng.random() < 0.5 else 1.0
    rates = {"alpha": alpha_share * scale, "beta": (1 - alpha_share) * scale * 0.45,
             "noise": (1 - alpha_share) * scale * 0.55}
    weekly = tuple(float(x) for x in np.array([1.1, 1.15, 1.1, 1.05, 1.0, 0.75, 0.7]))
    mail = _draw_mail(rng, stop, first, n_days, rates, weekly, beta_after)
    mail = _add_misdated(rng, mail, first, stop, clean)
    daily = _daily_truth(mail, first, n_days)
    vendor = _vendor_days(rng, stop, rates, weekly, beta_after)
    hourly = _feed_hours(rng, daily.index, stop, rates, weekly, beta_after)
    after = rates["noise"] + rates["beta"] * beta_after
    truth = Truth(stop=stop, ratio=after / sum(rates.values()), beta_after=beta_after,
                  n_messages=len(mail), misdated_day=_misdated_day(mail), rates=rates,
                  weekly=weekly)
    return World(seed=seed, truth=truth, daily=daily, vendor=vendor, hourly=hourly,
                 mail=mail,
                 trap_zone=_TRAP_ZONES[seed % len(_TRAP_ZONES)],
                 export_zone=("America/New_York", "Asia/Kolkata", "UTC")[seed % 3],
                 interruption=_typed_moment(stop, seed), crlf_mbox=seed % 4 == 1,
                 hour_gaps="none" if clean else ("alternate", "nights", "block")[seed % 3],
                 clean=clean)


def _vendor_days(rng: np.random.Generator, stop: datetime, rates: dict[str, float],
                 weekly: tuple[float, ...], beta_after: float) -> pd.Series:
    """A vendor's daily totals of the same sources, over five to eight months.

    The vendor sees more of the world than the trap (twenty times its volume) and for longer;
    each day's total is Poisson with the day's expected volume, the stop's day split at the
    stop.
    """
    first = pd.Timestamp(stop.date(), tz="UTC") - pd.Timedelta(days=int(rng.integers(120, 200)))
    last = pd.Timestamp(stop.date(), tz="UTC") + pd.Timedelta(days=int(rng.integers(30, 60)))
    days = pd.date_range(first, last, freq="D")
    before = np.clip((pd.Timestamp(stop) - days).total_seconds().to_numpy() / 86400, 0.0, 1.0)
    cycle = np.array([weekly[d] for d in days.day_of_week])
    mean = 20 * cycle * (rates["noise"] + rates["beta"] * (before + (1 - before) * beta_after)
                         + rates["alpha"] * before)
    return pd.Series(rng.poisson(mean), index=days, name="total")


def _feed_hours(rng: np.random.Generator, days: pd.DatetimeIndex, stop: datetime,
                rates: dict[str, float], weekly: tuple[float, ...],
                beta_after: float) -> pd.Series:
    """Hourly counts of a feed twenty times the trap's volume, on the trap's days.

    Rates are flat within a day, so an hour holds 1/24 of the day's volume; the stop's hour
    is split at the stop.
    """
    hours = pd.date_range(days[0], days[-1] + pd.Timedelta("23h"), freq="h")
    before = np.clip((pd.Timestamp(stop) - hours).total_seconds().to_numpy() / 3600, 0.0, 1.0)
    cycle = np.array([weekly[d] for d in hours.day_of_week])
    mean = 20 / 24 * cycle * (rates["noise"] + rates["alpha"] * before
                              + rates["beta"] * (before + (1 - before) * beta_after))
    return pd.Series(rng.poisson(mean), index=hours, name="count")


def _typed_moment(stop: datetime, seed: int) -> str:
    """The stop as a user would type it: UTC without an offset, or local with one."""
    if seed % 3 == 0:
        return stop.strftime("%Y-%m-%d %H:%M")
    zone = zoneinfo.ZoneInfo(("America/New_York", "Asia/Kolkata", "UTC")[seed % 3])
    local = stop.astimezone(zone)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M") + offset[:3] + ":" + offset[3:]


def _draw_mail(rng: np.random.Generator, stop: datetime, first: date, n_days: int,
               rates: dict[str, float], weekly: tuple[float, ...],
               beta_after: float) -> pd.DataFrame:
    """Every message's arrival and source: Poisson counts per day piece, uniform within."""
    stop_s = stop.timestamp()
    arrivals: list[np.ndarray] = []
    sources: list[str] = []
    for offset in range(n_days):
        day = first + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        cut = min(max(stop_s, start), start + 86400)  # the stop, clipped to the day
        pieces = {"alpha": [(start, cut, 1.0)],
                  "beta": [(start, cut, 1.0), (cut, start + 86400, beta_after)],
                  "noise": [(start, start + 86400, 1.0)]}
        for name, spans in pieces.items():
            for low, high, factor in spans:
                mean = rates[name] * weekly[day.weekday()] * factor * (high - low) / 86400
                count = int(rng.poisson(mean)) if high > low else 0
                arrivals.append(rng.uniform(low, high, count).astype(np.int64))
                sources += [name] * count
    frame = pd.DataFrame({"arrival": np.concatenate(arrivals), "source": sources})
    frame = frame.sort_values("arrival", kind="stable").reset_index(drop=True)
    return _fingerprints(rng, frame)


def _fingerprints(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Sending IP, HELO, Message-ID, mailer per message, with each botnet's own habits."""
    nets = rng.choice(len(_FIRST_OCTETS), size=5, replace=False)
    own = {"alpha": [f"{_FIRST_OCTETS[i]}.{rng.integers(1, 255)}.{rng.integers(0, 256)}"
                     for i in nets[:3]],
           "beta": [f"{_FIRST_OCTETS[i]}.{rng.integers(1, 255)}.{rng.integers(0, 256)}"
                    for i in nets[3:]]}
    ips, helos, ids, mailers = [], [], [], []
    for k, source in enumerate(frame["source"]):
        if source == "noise":
            net = (f"{_FIRST_OCTETS[rng.integers(len(_FIRST_OCTETS))]}."
                   f"{rng.integers(1, 255)}.{rng.integers(0, 256)}")
        else:
            net = own[source][rng.integers(len(own[source]))]
        ip = f"{net}.{rng.integers(2, 254)}"
        ips.append(ip)
        token = rng.integers(10**8, 10**9)
        if source == "alpha":
            helos.append(f"pc-{token % 10000:04d}")
            ids.append(f"<{token}.{token % 4096:03x}@mail.alpha-relay.invalid>")
            mailers.append("QuickSend 2.1")
        elif source == "beta":
            helos.append(f"[{ip}]")
            ids.append(f"<BX{token:x}$ZZ@beta-post.invalid>")
            mailers.append("MassPost 5.0 build " + str(token % 90 + 10))
        else:
            helos.append(f"host{k}.isp{token % 97}.invalid")
            ids.append(f"<{token:x}-{k}@{_WORDS[k % len(_WORDS)]}.invalid>")
            mailers.append("")
    return frame.assign(ip=ips, helo=helos, message_id=ids, mailer=mailers)


def _add_misdated(rng: np.random.Generator, mail: pd.DataFrame, first: date,
                  stop: datetime, clean: bool) -> pd.DataFrame:
    """One ``noise`` message with no Received header and a ``Date:`` a year off.

    In the clean control it is written with a ``Received`` header (``year_off`` 2 marks it).
    """
    day = first + timedelta(days=int(rng.integers(5, (stop.date() - first).days - 5)))
    arrival = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
                  + rng.integers(0, 86400))
    row = pd.DataFrame({"arrival": [arrival], "source": ["noise"], "ip": [None],
                        "helo": [None], "message_id": [f"<misdated.{rng.integers(10**6)}@x.invalid>"],
                        "mailer": [""], "year_off": [1 if rng.random() < 0.7 else -1]})
    if clean:
        row = row.assign(ip=f"{_FIRST_OCTETS[0]}.1.1.9", helo="misdated.invalid", year_off=2)
    mail = mail.assign(year_off=0)
    return pd.concat([mail, row], ignore_index=True).sort_values(
        "arrival", kind="stable").reset_index(drop=True)


def _misdated_day(mail: pd.DataFrame) -> date:
    when = int(mail.loc[mail["year_off"] != 0, "arrival"].iloc[0])
    return datetime.fromtimestamp(when, UTC).date()


def _daily_truth(mail: pd.DataFrame, first: date, n_days: int) -> pd.DataFrame:
    """Messages per UTC day and source (what an exact ingestion counts)."""
    days = pd.to_datetime(mail["arrival"], unit="s", utc=True).dt.floor("D")
    table = pd.crosstab(days, mail["source"]).reindex(columns=list(SOURCES), fill_value=0)
    index = pd.date_range(pd.Timestamp(first, tz="UTC"), periods=n_days, freq="D")
    table = table.reindex(index, fill_value=0)
    table["total"] = table[list(SOURCES)].sum(axis=1)
    return table


# --- writing the trap --------------------------------------------------------------------------


def _stamp(when: int, zone_name: str, style: int) -> str:
    """A ``Received`` date for epoch ``when`` in one of five styles (all exact to the second)."""
    utc = datetime.fromtimestamp(when, UTC)
    if style == 0:  # GMT named, no weekday
        return utc.strftime("%d %b %Y %H:%M:%S GMT")
    local = utc.astimezone(zoneinfo.ZoneInfo(zone_name))
    if style == 1:  # numeric zone with the abbreviation as a comment: -0800 (PST)
        return local.strftime("%a, %d %b %Y %H:%M:%S %z (%Z)")
    if style == 2:  # single-digit day, two-digit year
        return f"{local.day} {local.strftime('%b %y %H:%M:%S %z')}"
    if style == 3:  # weekday without a comma, seconds kept
        return local.strftime("%a %d %b %Y %H:%M:%S %z")
    return local.strftime("%a, %d %b %Y %H:%M:%S %z")


def _header_name(name: str, rng: np.random.Generator) -> str:
    pick = rng.integers(4)
    return name.lower() if pick == 0 else name.upper() if pick == 1 and name != "Message-ID" \
        else name


def _message(row: pd.Series, rng: np.random.Generator, trap_zone: str, newline: str) -> bytes:
    """One message's bytes: headers in this generator's habits, a short body."""
    when = int(row["arrival"])
    lines: list[str] = []
    if row["year_off"] in (0, 2):
        fold = ("\n\t", "\n        ", " ")[int(rng.integers(3))]
        lines.append(f"{_header_name('Received', rng)}: from {row['helo']} "
                     f"(dyn-{str(row['ip']).replace('.', '-')}.access.invalid [{row['ip']}])"
                     f"{fold}by mx{rng.integers(1, 4)}.trap.invalid with SMTP id "
                     f"{rng.integers(10**9):x}{fold}for <u{rng.integers(900)}@trap.invalid>; "
                     f"{_stamp(when, trap_zone, int(rng.integers(5)))}")
        if rng.random() < 0.4:  # a relay line the spammer forged, lower down: never the arrival
            forged = when - int(rng.integers(3600, 90 * 86400))
            lines.append(f"Received: from [10.{rng.integers(256)}.0.{rng.integers(1, 255)}] "
                         f"by {row['helo']}; {_stamp(forged, 'UTC', 4)}")
        sent = when - int(rng.integers(0, 900))
        if row["year_off"] == 2:
            sent += 365 * 86400
    else:
        sent = when + int(row["year_off"]) * 365 * 86400
    sender_zone = ("Europe/Moscow", "Asia/Shanghai", "America/Sao_Paulo", "UTC")[when % 4]
    lines.append(f"{_header_name('Date', rng)}: {_stamp(sent, sender_zone, 4)}")
    word = _WORDS[int(rng.integers(len(_WORDS)))]
    lines.append(f"{_header_name('From', rng)}: \"{word.title()} Team\" "
                 f"<{word}{rng.integers(1000)}@{word}-mail.invalid>")
    lines.append(f"{_header_name('Subject', rng)}: {word} {rng.integers(100)}")
    lines.append(f"Message-ID: {row['message_id']}")
    if row["mailer"]:
        lines.append(f"{_header_name('X-Mailer', rng)}: {row['mailer']}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "",
              f"Dear friend, {word} for you.", "Regards", ""]
    return "\n".join(lines).replace("\n", newline).encode("ascii")


def _mbox_bytes(rows: pd.DataFrame, rng: np.random.Generator, trap_zone: str,
                newline: str) -> bytes:
    """An mbox: each message after a ``From `` line stamped in UTC by the delivery agent."""
    chunks = []
    for _, row in rows.iterrows():
        when = datetime.fromtimestamp(int(row["arrival"]), UTC)
        envelope = f"From bounce-{rng.integers(10**5)}@sender.invalid {when:%a %b %d %H:%M:%S %Y}"
        body = _message(row, rng, trap_zone, "\n").decode("ascii").replace("\n", newline)
        chunks.append(envelope + newline + body + newline)
    return "".join(chunks).encode("ascii")


def write_trap(world: World, folder: Path) -> list[Path]:
    """Write the trap's mail into ``folder``; return the paths to give ``spamlab ingest``.

    Days in the first half of the period and every other later day go to ``trap.mbox``
    (so does the misdated message); the rest to ``spool/<day>/<n>.eml``.
    """
    rng = np.random.default_rng([7, world.seed])
    mail = world.mail
    days = pd.to_datetime(mail["arrival"], unit="s", utc=True).dt.floor("D")
    first = days.min()
    ordinal = (days - first).dt.days
    in_mbox = (ordinal < ordinal.max() // 2) | (ordinal % 2 == 0) | (mail["year_off"] != 0)
    folder.mkdir(parents=True, exist_ok=True)
    mbox = folder / "trap.mbox"
    mbox.write_bytes(_mbox_bytes(mail[in_mbox], rng, world.trap_zone,
                                 "\r\n" if world.crlf_mbox else "\n"))
    spool = folder / "spool"
    for k, (index, row) in enumerate(mail[~in_mbox].iterrows()):
        target = spool / f"{days[index]:%Y-%m-%d}" / f"msg-{k:06d}-{rng.integers(16**6):06x}.eml"
        target.parent.mkdir(parents=True, exist_ok=True)
        newline = "\r\n" if rng.random() < 0.5 else "\n"
        target.write_bytes(_message(row, rng, world.trap_zone, newline))
    return [mbox, spool]


# --- writing the exports -----------------------------------------------------------------------


def write_daily_us(world: World, path: Path) -> Path:
    """Daily totals with US dates (``3/16/2011``) and a trailing ``Total`` row."""
    lines = ["Day,Messages"]
    if world.clean:
        lines += [f"{day:%Y-%m-%d},{int(n)}" for day, n in world.vendor.items()]
    else:
        lines += [f"{day.month}/{day.day}/{day.year},{int(n)}" for day, n in world.vendor.items()]
        lines.append(f"Total,{int(world.vendor.sum())}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hourly_counts(world: World) -> pd.Series:
    """The feed's counts per UTC hour, with the hours its logger missed after the stop removed."""
    counts = world.hourly
    hours = counts.index
    after = hours > pd.Timestamp(world.truth.stop).ceil("D")
    if world.hour_gaps == "none":
        missing = np.zeros(len(hours), dtype=bool)
    elif world.hour_gaps == "alternate":  # every other hour unlogged
        missing = after & (hours.hour % 2 == 1)
    elif world.hour_gaps == "nights":  # the logger is off from 20:00 to 08:00 UTC
        missing = after & ((hours.hour >= 20) | (hours.hour < 8))
    else:  # a block of 36 hours, then every third hour
        block = after & (hours < pd.Timestamp(world.truth.stop).ceil("D") + pd.Timedelta("36h"))
        missing = block | (after & (hours.hour % 3 == 0))
    return counts[~missing]


def write_hourly(world: World, path: Path) -> Path:
    """Hourly counts stamped in the export zone with its UTC offset, semicolon-free CSV."""
    counts = hourly_counts(world)
    local = counts.index.tz_convert(zoneinfo.ZoneInfo(world.export_zone))
    stamps = [f"{t:%Y-%m-%d %H:%M:%S}{t:%z}"[:-2] + ":" + f"{t:%z}"[-2:] for t in local]
    frame = pd.DataFrame({"hour_start": stamps, "spam": counts.to_numpy()})
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


@dataclass(frozen=True)
class Written:
    """The files of a world: what to give ``spamlab ingest``, and the two exports."""

    trap: list[Path]
    daily_us: Path
    hourly: Path


def write_world(seed: int, folder: Path, clean: bool = False) -> tuple[World, Written]:
    """Make ``seed``'s world (the control with ``clean``) and write its trap and exports."""
    world = make_world(seed, clean)
    return world, Written(write_trap(world, folder / "trap"),
                          write_daily_us(world, folder / "daily_us.csv"),
                          write_hourly(world, folder / "hourly.csv"))
