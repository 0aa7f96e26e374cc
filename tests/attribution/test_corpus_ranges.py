"""The synthetic corpora cannot pass for real mail: reserved addresses, neutral names (issue 23, 7).

Every address in the synthetic trap with botnets lies in a network reserved for
documentation (RFC 5737) or benchmarking (RFC 2544). The networks are written out here,
from the RFCs, and every dotted quad in the messages' bytes is checked against them with
:mod:`ipaddress`: nothing is taken from ``spamlab.ingest.corpus``'s own constants.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

from spamlab import testing
from spamlab.ingest import corpus

#: RFC 5737 (TEST-NET-1, -2, -3) and RFC 2544 (benchmarking), as the RFCs give them
RESERVED = tuple(ipaddress.ip_network(net) for net in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15"))
#: RFC 1918's 10/8: the internal relay hop of the ingestion corpus (skipped by design)
PRIVATE = ipaddress.ip_network("10.0.0.0/8")
#: a dotted quad anywhere in the bytes (not after "/": mailer versions such as Thunderbird/2.0.0.19)
DOTTED_QUAD = re.compile(rb"(?<![\d./])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
#: botnets of the published figures and of the spam literature of the time
REAL_BOTNETS = ("rustock", "bagle", "cutwail", "grum", "lethic", "maazben", "festi", "mega-d",
                "megad", "srizbi", "storm", "kraken", "waledac", "donbot", "xarvester", "bobax",
                "asprox", "kelihos", "pushdo", "gheg", "darkmailer", "mazben", "ozdok")


def _addresses(messages: list[bytes]) -> list[ipaddress.IPv4Address]:
    found = [ipaddress.ip_address(m.decode()) for data in messages
             for m in DOTTED_QUAD.findall(data)]
    assert found, "no address found: the check would pass vacuously"
    return found


def _outside(addresses: list[ipaddress.IPv4Address],
             allowed: tuple[ipaddress.IPv4Network, ...]) -> set[str]:
    return {str(a) for a in addresses if not any(a in net for net in allowed)}


def test_every_address_of_the_botnet_trap_is_reserved_for_documentation_or_benchmarks() -> None:
    messages, truth = testing.botnet_messages(seed=5, scale=0.05, days=56, start="2011-02-14",
                                              interruption=testing.BOTNET_INTERRUPTION)
    addresses = _addresses(messages)
    assert len(addresses) >= truth.n_messages  # one sending address (at least) per message
    assert _outside(addresses, RESERVED) == set()
    # the botnets' own networks too (they are how a reader would look a sender up)
    nets = {ipaddress.ip_network(f"{net}.0/24") for p in truth.profiles for net in p.nets}
    assert nets and all(any(net.subnet_of(r) for r in RESERVED) for net in nets)


def test_the_ingestion_corpus_uses_reserved_senders_and_a_private_relay_only() -> None:
    messages = [m.data for m in testing.synthetic_messages(400, seed=2)]
    assert _outside(_addresses(messages), (*RESERVED, PRIVATE)) == set()


def test_the_trap_checker_catches_a_routable_address() -> None:
    """The check above can fail: a message from a real, routable network is caught."""
    real = b"Received: from x (host [94.23.77.10]) by trap.example.org; ...\n"
    assert _outside(_addresses([real]), RESERVED) == {"94.23.77.10"}


@pytest.mark.parametrize("profile", corpus.BOTNET_PROFILES, ids=lambda p: p.name)
def test_sources_have_neutral_names(profile: testing.BotnetProfile) -> None:
    name = profile.name.lower()
    assert not any(botnet in name for botnet in REAL_BOTNETS), profile.name
    # HELO names: single words, or names under the special-use .example and .localdomain
    assert all(h.endswith((".example", ".localdomain")) or "." not in h
               for h in profile.helos), profile.helos


def test_the_stopped_source_is_the_target_and_one_source_steps_in() -> None:
    _, truth = testing.botnet_messages(scale=0.02, days=40, start="2011-02-14",
                                       interruption=testing.BOTNET_INTERRUPTION)
    assert truth.target == corpus.STOPPED_SOURCE
    assert truth.stepped_in == corpus.STEPPED_IN_SOURCE
    after = truth.expected.loc["2011-03-25", corpus.STEPPED_IN_SOURCE]
    assert after > truth.counterfactual.loc["2011-03-25", corpus.STEPPED_IN_SOURCE]
