"""Exceptions that spamlab raises for bad input.

Every error names what was wrong (file, row, column or parameter) and why, so a
user never has to read a traceback from deep inside pandas or statsmodels.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "ParameterError",
    "SpamlabError",
]


class SpamlabError(Exception):
    """Base class of every error spamlab raises on purpose.

    In IPython and Jupyter the error shows as its one line (``DataError: ...``),
    without the traceback of frames that would only hide the message.
    """

    def _render_traceback_(self) -> list[str]:
        """The lines IPython shows for this error instead of a traceback."""
        return [f"{type(self).__name__}: {self}"]


class DataError(SpamlabError, ValueError):
    """Input data is malformed: the message names the file, row and reason."""


class ParameterError(SpamlabError, ValueError):
    """A function argument is invalid: the message names the parameter and reason."""
