"""Exceptions that spamlab raises for bad input.

Every error names what was wrong (file, row, column or parameter) and why, so a
user never has to read a traceback from deep inside pandas or statsmodels.
"""

from __future__ import annotations


class SpamlabError(Exception):
    """Base class of every error spamlab raises on purpose."""


class DataError(SpamlabError, ValueError):
    """Input data is malformed: the message names the file, row and reason."""


class ParameterError(SpamlabError, ValueError):
    """A function argument is invalid: the message names the parameter and reason."""
