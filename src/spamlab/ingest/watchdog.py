"""A deadline for the part of an HTTP request that socket timeouts cannot bound.

A socket timeout limits each read, not the whole exchange: a server that sends
its status line and headers one byte every few seconds keeps
:func:`urllib.request.urlopen` waiting for ever. :func:`open_by` opens a request
with every socket it creates registered with a timer; when the deadline passes
before the response headers are in, the timer shuts those sockets down, the
blocked read returns, and the caller gets :class:`DeadlinePassed`.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any, Self

__all__ = [
    "DeadlinePassed",
    "open_by",
]

_LOCAL = threading.local()


class DeadlinePassed(Exception):
    """The response headers had not arrived when the deadline passed."""


class _Watch:
    """The sockets of one request and the timer that shuts them down."""

    def __init__(self, deadline: float) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self.sockets.append(sock)
            if self.fired:
                _shut(sock)
        return sock

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self.sockets:
                _shut(sock)

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(cls: type[http.client.HTTPConnection]) -> Callable[..., http.client.HTTPConnection]:
    """A factory for ``cls`` whose new sockets join the current thread's watch."""
    def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
        connection = cls(*args, **kwargs)
        create = connection._create_connection  # type: ignore[attr-defined]

        def create_watched(*a: Any, **k: Any) -> socket.socket:
            sock = create(*a, **k)
            watch = getattr(_LOCAL, "watch", None)
            return watch.add(sock) if watch is not None else sock

        connection._create_connection = create_watched  # type: ignore[attr-defined]
        return connection
    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection), req,
                            context=self._context)  # type: ignore[attr-defined]


_OPENER = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)


def open_by(request: urllib.request.Request, timeout: float, deadline: float) -> Any:
    """``urlopen(request, timeout=timeout)``, given up when ``deadline`` passes first.

    ``deadline`` is a :func:`time.monotonic` value; it bounds connecting,
    redirects and the arrival of the response headers. Reading the body is the
    caller's to bound.

    Raises
    ------
    DeadlinePassed
        When the deadline passed before the response headers arrived.
    """
    with _Watch(deadline) as watch:
        _LOCAL.watch = watch
        try:
            return _OPENER.open(request, timeout=timeout)
        except Exception:
            if watch.fired:
                raise DeadlinePassed(request.full_url) from None
            raise
        finally:
            _LOCAL.watch = None
