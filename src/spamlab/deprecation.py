"""Old names kept for one release: aliases and keywords that warn and point to the new name.

A renamed public function stays callable under its old name for one release
(:func:`deprecated_alias`); a renamed class or constant stays reachable through a
module's ``__getattr__`` (:func:`deprecated_attribute`); a renamed keyword is still
accepted (:func:`renamed_keywords`). Each use warns with a :class:`DeprecationWarning`
that names the new spelling and the release that removes the old one.

Examples
--------
>>> import warnings
>>> def interruption_moment(interruption: str) -> str:
...     return interruption
>>> old = deprecated_alias(interruption_moment, "moment", module="demo")
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     old("2011-03-16")
'2011-03-16'
>>> str(caught[0].message)
'demo.moment is deprecated and will be removed in spamlab 0.3: use demo.interruption_moment'
>>> new = renamed_keywords(at="interruption")(interruption_moment)
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     new(at="2011-03-16")
'2011-03-16'
>>> str(caught[0].message)
'interruption_moment(at=...) is deprecated and will be removed in spamlab 0.3: use interruption=...'
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from spamlab.errors import ParameterError

__all__ = ["REMOVAL", "deprecated_alias", "deprecated_attribute", "renamed_keywords", "warn_renamed"]

REMOVAL: str = "0.3"
"""The release that removes the names deprecated in this one."""

F = TypeVar("F", bound=Callable[..., Any])


def warn_renamed(old: str, new: str, removal: str = REMOVAL, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (a :class:`DeprecationWarning`).

    Parameters
    ----------
    old, new
        The old and the new spelling, as the user writes them (``"residual.account"``).
    removal
        The release that removes ``old``.
    stacklevel
        Passed to :func:`warnings.warn`: 3 points at the caller of the function calling this.
    """
    warnings.warn(f"{old} is deprecated and will be removed in spamlab {removal}: use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def deprecated_alias(new_callable: F, old_name: str, *, module: str | None = None,
                     removal: str = REMOVAL) -> F:
    """``new_callable`` under its old name: the same behaviour, with a warning at each call.

    Parameters
    ----------
    new_callable
        The function under its new name.
    old_name
        The name it had (the alias's ``__name__``).
    module
        The public module both names are reached from (``"spamlab.residual"``); default the
        module ``new_callable`` is defined in.
    removal
        The release that removes the alias.

    Returns
    -------
    A function that warns (:class:`DeprecationWarning` naming the new name) and calls
    ``new_callable``; ``__wrapped__`` is ``new_callable``.
    """
    where = module or new_callable.__module__
    new_name = new_callable.__name__

    @functools.wraps(new_callable)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warn_renamed(f"{where}.{old_name}", f"{where}.{new_name}", removal)
        return new_callable(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = (f"Deprecated alias of :func:`{where}.{new_name}` (removed in spamlab "
                     f"{removal}).")
    return alias  # type: ignore[return-value]


def deprecated_attribute(module: str, renamed: Mapping[str, tuple[str, Any]], name: str,
                         removal: str = REMOVAL) -> Any:
    """A module ``__getattr__`` body: the object under an old ``name``, with a warning.

    Parameters
    ----------
    module
        The module's public name (``"spamlab.residual"``).
    renamed
        Old name -> (new name, object).
    name
        The attribute asked for.

    Raises
    ------
    AttributeError
        ``name`` is not an old name of ``module``.
    """
    if name not in renamed:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    new, value = renamed[name]
    warn_renamed(f"{module}.{name}", f"{module}.{new}", removal, stacklevel=4)
    return value


def renamed_keywords(removal: str = REMOVAL, **old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword of ``old_to_new`` as its new one, with a warning.

    Parameters
    ----------
    removal
        The release that stops accepting the old keywords.
    **old_to_new
        Old keyword -> new keyword, e.g. ``at="interruption"``.

    Raises
    ------
    ParameterError
        (from the decorated function) both the old and the new keyword were given.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def accepting(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise ParameterError(f"{function.__name__}: give {new}= only ({old}= is its "
                                         f"deprecated spelling), not both")
                warn_renamed(f"{function.__name__}({old}=...)", f"{new}=...", removal)
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return accepting  # type: ignore[return-value]

    return decorate
