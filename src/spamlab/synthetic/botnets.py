"""A synthetic spam trap with botnets in it, with the true counts of every source.

:func:`write_botnet_corpus` writes a synthetic trap with botnets in it: sources with
their own fingerprints (sending /24 networks, HELO names, Message-ID shapes, mailers,
subject templates), one that vanishes at a mid-day instant (:data:`STOPPED_SOURCE`), one
that halves a day later, one that steps in after the stop (:data:`STEPPED_IN_SOURCE`, so
the total partly recovers), two that drift, and background noise, with the true daily
counts of every source, the true residual and the true recovered share
(:class:`BotnetTruth`). The messages and containers are those of
:mod:`spamlab.synthetic.mail`.

Every address lies in a network reserved for documentation or benchmarking
(:data:`spamlab.synthetic.mail.RESERVED_NETWORKS`) or in a private network, and every
source has a neutral name: no message can be taken for mail from a real network or a real
botnet.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spamlab.deprecation import warn_renamed
from spamlab.errors import ParameterError
from spamlab.synthetic.mail import _WORDS, _WRITERS, FORMATS, _domain, _ip, format_date

__all__ = ["BOTNET_INTERRUPTION", "BOTNET_PROFILES", "STEPPED_IN_SOURCE", "STOPPED_SOURCE",
           "BotnetProfile", "BotnetTruth", "botnet_messages", "write_botnet_corpus"]

#: the synthetic stand-in for the takedown: the moment :data:`STOPPED_SOURCE` stops
BOTNET_INTERRUPTION = "2011-03-16T14:45:00+00:00"
#: the source of the default synthetic trap that stops at the interruption (the target)
STOPPED_SOURCE = "stopper"
#: the source of the default synthetic trap that steps in after the stop and keeps growing
STEPPED_IN_SOURCE = "filler"


@dataclass(frozen=True)
class BotnetProfile:
    """One synthetic spam source and the fingerprints its messages carry.

    Attributes
    ----------
    name
        Source name (a label in the ground truth; messages do not carry it).
    rate
        Expected messages per day at the start of the corpus.
    drift
        Linear drift, as a fraction of ``rate`` per day (``0.01``: +1% of the
        starting rate every day).
    change_after, change_factor
        The source's rate is multiplied by ``change_factor`` from ``change_after``
        hours after the interruption on (``None``: no change). ``0.0`` at hour 0 is
        a source that vanishes at the interruption; ``0.5`` at hour 24 one that
        halves a day later (a second step).
    ramp
        From ``change_after`` hours after the interruption on, the rate also grows by
        ``ramp`` messages a day every day (``3.0``: 3 more a day each day): a source
        that steps in and takes up the slack.
    nets
        The /24 networks (``a.b.c``) its sending IPs come from; empty: random
        addresses all over (background noise).
    helos
        The HELO names it greets the trap with; empty: a new name per message.
    message_id
        Shape of its Message-IDs: ``outlook``, ``qmail``, ``uuid``, ``localhost`` or
        ``random``.
    mailer
        Its ``X-Mailer`` header, or None (no header).
    subjects
        Subject templates (``{w}``: a word).
    """

    name: str
    rate: float
    drift: float = 0.0
    change_after: float | None = None
    change_factor: float = 1.0
    nets: tuple[str, ...] = ()
    helos: tuple[str, ...] = ()
    message_id: str = "random"
    mailer: str | None = None
    subjects: tuple[str, ...] = ("{w} {w} {w}",)
    ramp: float = 0.0

    def rate_at(self, day: float, hours_after: float, changed: bool = True) -> float:
        """Expected messages per day, ``day`` days after the corpus start and ``hours_after``
        hours after the interruption; ``changed=False``: had nothing happened.

        Examples
        --------
        >>> round(BotnetProfile("b", 100.0, 0.01, 24.0, 0.5).rate_at(10.0, 30.0), 6)
        55.0
        >>> BotnetProfile("c", 10.0, 0.0, 72.0, 1.0, ramp=3.0).rate_at(40.0, 120.0)
        16.0
        """
        rate = max(self.rate * (1.0 + self.drift * day), 0.0)
        if not (changed and self.change_after is not None and hours_after >= self.change_after):
            return rate
        return rate * self.change_factor + self.ramp * (hours_after - self.change_after) / 24


#: the default synthetic trap: one source vanishes at the interruption, one halves a day
#: later, one steps in three days after it and grows (the total partly recovers), two drift,
#: and background noise from everywhere (all invented, not data about 2011; every network
#: is in 198.18.0.0/15, reserved for benchmarking)
BOTNET_PROFILES: tuple[BotnetProfile, ...] = (
    BotnetProfile(STOPPED_SOURCE, 420.0, 0.0, 0.0, 0.0,
                  ("198.18.11", "198.18.12", "198.18.40", "198.18.77", "198.18.130",
                   "198.18.201"),
                  ("User", "user-PC", "HOME", "ADMIN"), "outlook",
                  "Microsoft Outlook Express 6.00.2900.5512",
                  ("Re: {w} {w}", "RE: {w} for you", "{w} {w} -{w}%")),
    BotnetProfile("stepper", 160.0, 0.0, 24.0, 0.5, ("198.18.52", "198.18.53", "198.18.90"),
                  ("mail.deals.example", "mx.deals.example", "smtp.offers.example"), "qmail",
                  "The Bat! (v3.5.25) Professional", ("{w} {w} sale", "Your {w} order")),
    BotnetProfile("grower", 90.0, 0.012, None, 1.0, ("198.18.160", "198.18.161"), (), "uuid",
                  None, ("{w}: {w} {w}",)),
    BotnetProfile("fader", 130.0, -0.006, None, 1.0, ("198.18.180", "198.18.181"),
                  ("localhost", "localhost.localdomain"), "localhost",
                  "Microsoft Office Outlook 12.0", ("Hello {w}", "{w} news")),
    BotnetProfile(STEPPED_IN_SOURCE, 30.0, 0.0, 72.0, 1.0, ("198.18.220", "198.18.221"),
                  ("mx1.newcomer.example", "mx2.newcomer.example"), "random", None,
                  ("{w} {w} deal", "New {w} offer"), ramp=3.0),
    BotnetProfile("background", 150.0),
)


@dataclass(frozen=True, eq=False)
class BotnetTruth:
    """Ground truth of a synthetic botnet corpus (everything here is synthetic).

    Attributes
    ----------
    daily
        Messages written per UTC day (DatetimeIndex, UTC): one column per source
        and ``total``. Every message is well formed, so an ingester counts each
        one on this day.
    expected
        The expected messages per day (the sources' rates integrated over each
        day, the partial day of a change included): what a model estimates.
    counterfactual
        The same had no source changed (drifts go on).
    profiles
        The sources (:class:`BotnetProfile`), their fingerprints included.
    interruption
        When ``target`` stopped.
    target
        The source that vanishes (:data:`STOPPED_SOURCE` by default).
    n_messages
        Messages written.
    paths
        Files written, one per format, to pass to the ingester.
    stepped_in
        The source that steps in after the stop (:data:`STEPPED_IN_SOURCE` by default;
        ``""``: none). What it added per day over a window is minus its :meth:`fall`.
    """

    daily: pd.DataFrame
    expected: pd.DataFrame
    counterfactual: pd.DataFrame
    profiles: tuple[BotnetProfile, ...]
    interruption: str
    target: str
    n_messages: int
    paths: tuple[Path, ...] = field(default=())
    stepped_in: str = ""

    def fall(self, first: Any, last: Any) -> dict[str, float]:
        """True fall per source and of the total, per day over days ``first``..``last``
        (both included): mean of expected counterfactual minus expected observed
        (negative for a source that grew), what
        :func:`spamlab.attribution.account_by_source` estimates as ``fall``."""
        gap = (self.counterfactual - self.expected).loc[first:last]
        return {name: float(value) for name, value in gap.mean().items()}

    def change(self, first: Any, last: Any) -> dict[str, float]:
        """Deprecated name of :meth:`fall` (removed in spamlab 0.3)."""
        warn_renamed("BotnetTruth.change", "BotnetTruth.fall")
        return self.fall(first, last)

    @property
    def post_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The stated post window: every whole UTC day after the interruption's day, to the
        last day (the default window of :func:`spamlab.attribution.account`)."""
        after = self.daily.index[self.daily.index > pd.Timestamp(self.interruption)]
        return after[0], self.daily.index[-1]

    def residual(self, first: Any = None, last: Any = None) -> float:
        """The true residual over days ``first``..``last``: the fall of the total that the
        target's disappearance does not explain (fall of total minus fall of target);
        by default over :attr:`post_window`."""
        default = self.post_window
        fall = self.fall(default[0] if first is None else first,
                         default[1] if last is None else last)
        return fall["total"] - fall[self.target]

    def recovered_share(self, day: Any = None) -> float:
        """True share of the total's fall that had come back by ``day`` (default the last).

        The fall is the largest gap of the expected total below its counterfactual on a
        whole day after the interruption's day (the target's and every other step); the
        share is one minus the gap on ``day`` over that fall (0: nothing back, 1: all).
        """
        gap = (self.counterfactual - self.expected)["total"].loc[self.post_window[0]:]
        if not gap.max() > 0:
            raise ParameterError("recovered_share: the total never fell below its "
                                 "counterfactual after the interruption; nothing to recover")
        return 1.0 - float(gap.loc[gap.index[-1] if day is None else day]) / float(gap.max())

    def source_of_net(self) -> dict[str, str]:
        """/24 network (``a.b.c``) -> source, for every source with its own networks."""
        return {net: p.name for p in self.profiles for net in p.nets}


def botnet_messages(*, seed: int = 0, start: str = "2011-02-14", days: int = 56,
                    interruption: str = BOTNET_INTERRUPTION, scale: float = 1.0,
                    day_noise: float = 0.1,
                    profiles: Sequence[BotnetProfile] = BOTNET_PROFILES,
                    ) -> tuple[list[bytes], BotnetTruth]:
    """Synthetic trap mail from several sources with their own fingerprints, and its truth.

    Each source sends ``scale * rate_at(...)`` messages a day in expectation, times a
    day-to-day multiplicative noise (lognormal, standard deviation ``day_noise`` on the
    log scale, mean 1), Poisson-distributed, at uniform moments within each stretch of
    constant rate. Every message is well formed and unique, timed by its topmost
    ``Received:`` header, which names the source's HELO and sending IP.

    Parameters
    ----------
    seed
        Random seed (same seed, same bytes and truth).
    start, days
        The corpus covers ``days`` UTC days from ``start``.
    interruption
        The moment the changes of :attr:`BotnetProfile.change_after` count from.
    scale
        Multiplies every rate (0.25: a quarter of the default mail).
    day_noise
        Day-to-day noise of each source's volume.
    profiles
        The sources; by default :data:`BOTNET_PROFILES`, where :data:`STOPPED_SOURCE`
        (the target) vanishes at ``interruption`` and :data:`STEPPED_IN_SOURCE` steps in
        three days later.

    Returns
    -------
    The messages in arrival order, and their :class:`BotnetTruth` (``paths`` empty).

    Examples
    --------
    >>> msgs, truth = botnet_messages(days=20, scale=0.05, interruption="2011-02-24 12:00")
    >>> len(msgs) == truth.n_messages == int(truth.daily["total"].sum())
    True
    """
    if scale <= 0 or days < 2 or day_noise < 0:
        raise ParameterError(f"botnet_messages: scale ({scale}) must be > 0, days ({days}) >= 2 "
                             f"and day_noise ({day_noise}) >= 0")
    origin = int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp())
    stamp = pd.Timestamp(interruption)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    moment = int(stamp.timestamp())
    counts = np.random.default_rng(seed)
    text = random.Random(seed)
    planned = _plan_botnet_days(profiles, origin, days, moment, scale)
    noise = np.exp(counts.normal(-day_noise ** 2 / 2, day_noise, size=(days, len(profiles))))
    arrivals: list[tuple[int, int]] = []  # (moment, profile index)
    for day, source, first, last, expected, _ in planned:
        n = int(counts.poisson(expected * noise[day, source]))
        arrivals += [(int(t), source) for t in counts.integers(first, last, size=n)]
    arrivals.sort()
    messages = [_botnet_message(text, profiles[source], when, index)
                for index, (when, source) in enumerate(arrivals)]
    truth = _botnet_truth(profiles, planned, arrivals, origin, days, stamp, scale)
    return messages, truth


def _plan_botnet_days(profiles: Sequence[BotnetProfile], origin: int, days: int, moment: int,
                      scale: float) -> list[tuple[int, int, int, int, float, float]]:
    """Stretches of constant rate: (day, profile, first second, end second, expected,
    counterfactual), split at each day's start and at every source's change."""
    changes = sorted({moment + round(3600 * p.change_after) for p in profiles
                      if p.change_after is not None})
    plan = []
    for day in range(days):
        begin, end = origin + 86400 * day, origin + 86400 * (day + 1)
        bounds = [begin, *[c for c in changes if begin < c < end], end]
        for first, last in itertools.pairwise(bounds):
            # rates are linear within a stretch (drift, ramp): their value at its middle is
            # their mean, and the middle lies on the same side of every change as the stretch
            middle = ((first + last) / 2 - origin) / 86400
            hours = ((first + last) / 2 - moment) / 3600
            share = (last - first) / 86400 * scale
            for index, profile in enumerate(profiles):
                plan.append((day, index, first, last, share * profile.rate_at(middle, hours),
                             share * profile.rate_at(middle, hours, changed=False)))
    return plan


def _botnet_truth(profiles: Sequence[BotnetProfile],
                  planned: list[tuple[int, int, int, int, float, float]],
                  arrivals: list[tuple[int, int]], origin: int, days: int,
                  interruption: pd.Timestamp, scale: float) -> BotnetTruth:
    index = pd.date_range(pd.Timestamp(origin, unit="s", tz="UTC"), periods=days, freq="D")
    names = [p.name for p in profiles]
    frames = []
    for column in (4, 5):
        table = np.zeros((days, len(profiles)))
        for row in planned:
            table[row[0], row[1]] += row[column]
        frames.append(table)
    written = np.zeros((days, len(profiles)), dtype=np.int64)
    for when, source in arrivals:
        written[(when - origin) // 86400, source] += 1

    def frame(values: np.ndarray) -> pd.DataFrame:
        table = pd.DataFrame(values, index=index, columns=names)
        table["total"] = table.sum(axis=1)
        table.attrs.update(synthetic=True, units="messages per day", scale=scale)
        return table

    target = next((p.name for p in profiles if p.change_factor == 0 and p.change_after == 0),
                  names[0])
    stepped_in = next((p.name for p in profiles if p.ramp > 0 or p.change_factor > 1), "")
    return BotnetTruth(frame(written), frame(frames[0]), frame(frames[1]), tuple(profiles),
                       interruption.isoformat(), target, len(arrivals), stepped_in=stepped_in)


def _botnet_message(rng: random.Random, profile: BotnetProfile, when: int, index: int) -> bytes:
    """One well-formed message of ``profile`` arriving at ``when`` (``index`` makes it unique)."""
    if profile.nets:
        ip = f"{rng.choice(profile.nets)}.{rng.randrange(1, 255)}"
    else:
        ip = _ip(rng)
    helo = rng.choice(profile.helos) if profile.helos else _domain(rng).split(".")[0]
    sent = when - rng.randint(0, 3600)
    subject = rng.choice(profile.subjects).replace("{w}", "{}").format(
        *(rng.choice(_WORDS) for _ in range(profile.subjects[0].count("{w}") + 3)))
    lines = [(f"Received: from {helo} (host-{ip.replace('.', '-')}.dyn.example.net [{ip}])\n"
              f"\tby trap.example.org (Postfix) with SMTP id {rng.getrandbits(32):X};\n"
              f"\t{format_date(when, 'rfc')[0]}"),
             f"Date: {format_date(sent, 'rfc')[0]}",
             f"Message-ID: {_botnet_message_id(rng, profile.message_id, helo, sent, index)}",
             f"From: <{rng.choice(_WORDS)}{rng.randrange(999)}@{_domain(rng)}>",
             "To: <trap@example.org>", f"Subject: {subject}"]
    if profile.mailer:
        lines.append(f"X-Mailer: {profile.mailer}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "",
              " ".join(rng.choice(_WORDS) for _ in range(12)), ""]
    return "\n".join(lines).encode("ascii")


def _botnet_message_id(rng: random.Random, shape: str, helo: str, sent: int, index: int) -> str:
    """A Message-ID of the given shape, unique through ``index``."""
    if shape == "outlook":
        return f"<{index:06X}01cb{rng.getrandbits(16):04x}${rng.getrandbits(32):08x}$0100007f@{helo}>"
    if shape == "qmail":
        stamp = datetime.fromtimestamp(sent, tz=UTC).strftime("%Y%m%d%H%M%S")
        return f"<{stamp}.{index}.qmail@{_domain(rng)}>"
    if shape == "uuid":
        bits = f"{rng.getrandbits(96):024x}{index:08x}"
        return f"<{bits[:8]}-{bits[8:12]}-{bits[12:16]}-{bits[16:20]}-{bits[20:]}@{_domain(rng)}>"
    if shape == "localhost":
        return f"<{sent}.{index}.{rng.randrange(10 ** 6)}@localhost>"
    return f"<{index:08d}.{rng.getrandbits(40):010x}@{_domain(rng)}>"


def write_botnet_corpus(folder: str | Path, *, formats: Sequence[str] = ("mbox",), seed: int = 0,
                        **options: Any) -> BotnetTruth:
    """Write a synthetic trap with botnets (:func:`botnet_messages`) into ``folder``.

    Parameters
    ----------
    folder
        Created if missing; the messages are spread round-robin over ``formats``
        (any of :data:`FORMATS`; by default one mbox, ``trap.mbox``).
    seed, options
        Passed to :func:`botnet_messages` (``start``, ``days``, ``interruption``,
        ``scale``, ``day_noise``, ``profiles``).

    Returns
    -------
    BotnetTruth, with ``paths`` the inputs written (in ``formats`` order).

    Examples
    --------
    >>> import tempfile
    >>> truth = write_botnet_corpus(tempfile.mkdtemp(), days=20, scale=0.05,
    ...                             interruption="2011-02-24 12:00")
    >>> truth.target == STOPPED_SOURCE, [p.name for p in truth.paths]
    (True, ['trap.mbox'])
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ParameterError(f"formats: unknown {unknown or 'none given'}; choose from {FORMATS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    messages, truth = botnet_messages(seed=seed, **options)
    # (every message is timed by its Received header: no delivery stamps are written)
    shares = {fmt: [(i, m, None) for i, m in enumerate(messages) if i % len(formats) == k]
              for k, fmt in enumerate(formats)}
    paths = tuple(_WRITERS[fmt](folder, shares[fmt]) for fmt in formats)
    return replace(truth, paths=paths)
