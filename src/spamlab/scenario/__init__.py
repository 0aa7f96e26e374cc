"""A SYNTHETIC daily scenario of spam volume by source, calibrated to published figures.

Sources: Rustock, Bagle, other named botnets, other botnets, non-botnet spam,
1 Dec 2010 - 30 Jun 2011, with a weekly profile, slow trends, multiplicative
AR(1) noise, the New Year dip, Rustock's holiday pause and its takedown at a
UTC time inside 16 March. Each residual hypothesis is a switch
(:data:`HYPOTHESES`); :func:`calibrate` fits the free parameters so the
scenario reproduces the figures as each was defined, and flags a hypothesis
that cannot (a finding). The series show what methods would find and what
data would tell hypotheses apart; they are not evidence about 2011.

Examples
--------
>>> from spamlab import scenario
>>> cal = scenario.calibrate("baseline", seed=0)
>>> cal.series.attrs["synthetic"]
True
"""

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
    engine_power,
    its_frame,
    noise_residual,
    power,
)
from spamlab.scenario.model import SOURCES, Params, generate

__all__ = [
    "HYPOTHESES", "SOURCES", "Calibration", "Hypothesis", "Params",
    "calibrate", "calibrate_all", "day_shape", "days_needed", "distinguish", "engine_power", "generate",
    "its_frame", "noise_residual", "param_table", "power", "summary",
]
