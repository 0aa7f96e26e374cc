"""Fingerprint group keys of mail events (the columns of :func:`spamlab.ingest.outputs.read_events`).

A fingerprint maps each message to a group: the sender's network, its HELO name, the
shape of its Message-ID, its mailer, ... Messages without the feature get no group
(code ``-1``). Keys are computed once per distinct value, so the cost is one
factorization of the column.

========== ============== ==========================================================
by         column         key
========== ============== ==========================================================
sender_net sender_ip      the /24 network of an IPv4 address (``/48`` for IPv6)
sender_ip  sender_ip      the address
helo       helo           the HELO/EHLO name, lower case
msgid_shape message_id    the Message-ID with letter runs as ``a``, digit runs as ``9``
                          in the local part, the domain kept (lower case)
mailer     mailer         the X-Mailer / User-Agent text
subject_hash subject_hash the subject's hash
from_domain from_domain   the From domain, lower case
========== ============== ==========================================================

Examples
--------
>>> import pandas as pd
>>> events = pd.DataFrame({"sender_ip": ["10.1.2.3", "10.1.2.99", None, "bad", "2001:db8::1"]})
>>> codes, labels = group_keys(events, "sender_net")
>>> codes.tolist(), labels.tolist()
([0, 0, -1, -1, 1], ['10.1.2.0/24', '2001:db8::/48'])
>>> message_id_shape(pd.Series(["<20110316.ab12Cd@Mail.Example.com>"])).tolist()
['9.a9a@mail.example.com']
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import numpy as np
import pandas as pd

from spamlab.errors import DataError, ParameterError

__all__ = [
    "COLUMN_OF",
    "KEY_FUNCTIONS",
    "group_keys",
    "message_id_shape",
    "sender_net",
]

COLUMN_OF: dict[str, str] = {
    "sender_net": "sender_ip", "sender_ip": "sender_ip", "helo": "helo",
    "msgid_shape": "message_id", "mailer": "mailer", "subject_hash": "subject_hash",
    "from_domain": "from_domain",
}
"""Fingerprint name -> the events column it is computed from."""


def group_keys(events: pd.DataFrame, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Group code of every message (``-1``: no key) and the group labels.

    Raises
    ------
    ParameterError
        For an unknown fingerprint.
    DataError
        When the events table lacks the fingerprint's column.
    """
    if by not in COLUMN_OF:
        raise ParameterError(f"by={by!r} is unknown; use one of {list(COLUMN_OF)}")
    column = COLUMN_OF[by]
    if column not in events.columns:
        hint = (" (events from an ingest that did not record HELO names: re-run spamlab ingest)"
                if column == "helo" else "")
        raise DataError(f"by={by!r} needs the events column {column!r}, which this table lacks"
                        f"{hint}; its columns are {list(events.columns)}")
    values = events[column]
    if isinstance(values.dtype, pd.CategoricalDtype):  # already factorized (Parquet dictionary)
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = KEY_FUNCTIONS[by](pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    keys = keys.where(keys.notna() & (keys != ""), None)
    key_codes, labels = pd.factorize(keys, use_na_sentinel=True)
    mapped = np.append(key_codes, -1)[codes]  # code -1 (missing value) picks the appended -1
    return mapped.astype(np.int64, copy=False), np.asarray(labels, dtype=object)


def sender_net(ips: pd.Series) -> pd.Series:
    """The ``/24`` network of IPv4 addresses (``/48`` for IPv6); ``None`` if unparsable.

    IPv4 is parsed vectorized (octets 0-255, leading zeros dropped); only values with a
    colon go through :mod:`ipaddress`.
    """
    if ips.empty:  # no address at all: nothing to split into octets
        return pd.Series([], index=ips.index, dtype=object)
    text = ips.astype("string[pyarrow]").str.strip()
    shaped = text.str.fullmatch(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}").fillna(False)
    octets = text.where(shaped, "0.0.0.0").str.split(".", n=3, expand=True).astype(np.int64)
    valid = shaped.to_numpy(dtype=bool) & (octets <= 255).all(axis=1).to_numpy()
    parts = octets.astype(str)
    nets = (parts[0] + "." + parts[1] + "." + parts[2] + ".0/24").astype(object)
    out = nets.where(valid, None)
    six = text.str.contains(":", regex=False).fillna(False).to_numpy(dtype=bool)
    out[six] = [_ipv6_net(value) for value in text[six]]
    return out


def _ipv6_net(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def message_id_shape(ids: pd.Series) -> pd.Series:
    """Message-ID shape: ``<>`` stripped, in the local part letter runs -> ``a`` and digit
    runs -> ``9`` (other characters kept), the domain kept in lower case."""
    text = ids.astype("string").str.strip().str.strip("<>")
    parts = text.str.rpartition("@")
    local = parts[0].where(parts[1] == "@", parts[2])
    domain = parts[2].where(parts[1] == "@", "").str.lower()
    shape = local.str.replace(r"[A-Za-z]+", "a", regex=True).str.replace(r"[0-9]+", "9",
                                                                         regex=True)
    joined = shape + ("@" + domain).where(domain != "", "")
    return joined.astype(object).where(text.notna().to_numpy(), None)


def _lower(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower().astype(object)


def _same(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().astype(object)


KEY_FUNCTIONS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "sender_net": sender_net, "sender_ip": _same, "helo": _lower, "msgid_shape": message_id_shape,
    "mailer": _same, "subject_hash": _same, "from_domain": _lower,
}
