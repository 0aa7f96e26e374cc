"""A SYNTHETIC daily scenario of spam volume by source, calibrated to published figures.

Sources: Rustock, Bagle, other named botnets, other botnets, non-botnet spam,
1 Dec 2010 - 30 Jun 2011, with a weekly profile, slow trends, multiplicative
AR(1) noise, the New Year dip, Rustock's holiday pause and its takedown at a
UTC time inside 16 March. Each residual hypothesis is a switch
(:data:`HYPOTHESES`); :func:`calibrate` fits the free parameters so the
scenario reproduces the figures as each was defined, and flags a hypothesis
that cannot (a finding). The series show what methods would find and what
data would tell hypotheses apart; they are not evidence about 2011.

Power on these series: :func:`second_source_power` (a second source's step, fitted by
:func:`spamlab.its.fit` on simulated scenarios) and :func:`power_by_noise`
(:func:`spamlab.its.power` on a scenario's pre-period, per noise level). Their old names
``power`` and ``engine_power`` (``power`` read like :func:`spamlab.its.power`) still work
until spamlab 0.3, with a :class:`DeprecationWarning`.

Examples
--------
>>> from spamlab import scenario
>>> cal = scenario.calibrate("baseline", seed=0)
>>> cal.series.attrs["synthetic"]
True
"""

from typing import Any

from spamlab.deprecation import deprecated_attribute
from spamlab.scenario.calibration import (
    HYPOTHESES,
    Calibration,
    Hypothesis,
    calibrate,
    calibrate_all,
    param_table,
    summary,
)
from spamlab.scenario.comparison import (
    day_shape,
    days_needed,
    distinguish,
    its_frame,
    noise_residual,
    power_by_noise,
    second_source_power,
)
from spamlab.scenario.model import SOURCES, Params, generate

#: old name -> (new name, object), kept for one release (removed in spamlab 0.3)
_RENAMED: dict[str, tuple[str, Any]] = {
    "power": ("second_source_power", second_source_power),
    "engine_power": ("power_by_noise", power_by_noise),
}

__all__ = [
    "HYPOTHESES", "SOURCES", "Calibration", "Hypothesis", "Params",
    "calibrate", "calibrate_all", "day_shape", "days_needed", "distinguish", "generate",
    "its_frame", "noise_residual", "param_table", "power_by_noise", "second_source_power", "summary",
]


def __getattr__(name: str) -> Any:
    return deprecated_attribute(__name__, _RENAMED, name)
