"""Run an ASGI app with uvicorn in a background thread: start() returns once it listens, stop() shuts it down."""
from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from pipeline.core.heap import freeze_loaded_objects

log = logging.getLogger(__name__)


class PortInUseError(OSError):
    """The dashboard cannot listen because another process already uses the address and port."""


class DashboardServer:
    """uvicorn serving `app` on host:port from a daemon thread (port 0 picks a free port)."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning") -> None:
        """Configure; nothing listens until start()."""
        self.app = app
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:8000/ (a wildcard host is shown as 127.0.0.1)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _bind(self) -> socket.socket:
        """A listening socket on host:port; PortInUseError when taken."""
        try:
            infos = socket.getaddrinfo(self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as err:
            raise OSError(f"cannot resolve dashboard host {self.host!r}: {err}") from err
        family, kind, proto, _name, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise PortInUseError(errno.EADDRINUSE, f"port {self.port} on {self.host} is already in use") from None
            raise
        sock.setblocking(False)
        return sock

    def _check_login(self) -> None:
        """Refuse to serve a dashboard app without login on a non-loopback address."""
        from pipeline.apps.dashboard.access import needs_login

        state = getattr(self.app, "state", None)
        if needs_login(self.host) and getattr(state, "require_login", None) is False:
            raise RuntimeError(f"the dashboard would be reachable from other machines on {self.host!r} without a login; "
                               "build it with require_login=True (pipeline.apps.dashboard.app.dashboard_app) or bind to 127.0.0.1")

    def start(self, timeout: float = 15.0) -> None:
        """Bind, start serving in a background thread and return once the server accepts connections."""
        if self.running:
            raise RuntimeError("the dashboard server is already running")
        self._check_login()
        sock = self._bind()
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level=self.log_level, access_log=False, lifespan="off",
                                timeout_graceful_shutdown=3)
        server = uvicorn.Server(config)
        self._server = server
        self._error = None

        def serve() -> None:
            """The thread body: run uvicorn on the bound socket until asked to exit."""
            try:
                server.run(sockets=[sock])
            except BaseException as err:  # noqa: BLE001 - reported to start() and logged
                self._error = err
                log.error("dashboard server stopped with an error: %s", err)
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name=f"dashboard:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the dashboard server did not start: {self._error or 'unknown error'}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the dashboard server did not start within {timeout:.0f} s")
            time.sleep(0.01)
        # a full collection while serving then walks only the objects of requests in flight, instead of
        # stalling one request for the ~100 ms it takes to walk everything loaded (modules, app, settings)
        freeze_loaded_objects()
        log.info("dashboard listening on %s", self.url)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("dashboard server thread did not stop within %.0f s", timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> "DashboardServer":
        """Start on entering a with block."""
        self.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        """Stop on leaving a with block."""
        self.stop()
