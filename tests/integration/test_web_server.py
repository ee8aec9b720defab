"""DashboardServer: serves in a background thread, stops cleanly, and reports a taken port clearly."""
from __future__ import annotations

import gc
import socket
import weakref
from pathlib import Path

import httpx
import pytest

from pipeline.apps.dashboard.app import create_app
from pipeline.apps.dashboard.server import DashboardServer, PortInUseError
from pipeline.core.settings import Settings


def test_start_serves_and_stop_releases_the_port(store_path: Path) -> None:
    """start() returns once the server answers; after stop() nothing listens."""
    server = DashboardServer(create_app(store_path, Settings()), "127.0.0.1", 0)
    server.start()
    try:
        assert server.running and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}/"
        response = httpx.get(server.url + "api/health", timeout=5)
        assert response.status_code == 200 and response.json()["status"] == "waiting"
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "api/health", timeout=2)
    server.stop()  # a second stop is harmless


def test_taken_port_raises_a_clear_error(store_path: Path) -> None:
    """A port another socket listens on gives PortInUseError (an OSError) naming it."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        server = DashboardServer(create_app(store_path, Settings()), "127.0.0.1", port)
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use") as info:
            server.start()
        assert isinstance(info.value, OSError)
        assert not server.running
    finally:
        blocker.close()


def test_start_moves_the_loaded_objects_out_of_the_collectors_walk(store_path: Path) -> None:
    """After start() the app and modules sit in the permanent generation, so a full collection while serving
    walks only what requests create; cyclic garbage made before start is collected first, not kept."""
    gc.unfreeze()

    class Node:
        """A cycle member whose collection can be observed."""

    before = Node()
    before.self = before  # type: ignore[attr-defined]
    gone = weakref.ref(before)
    del before
    server = DashboardServer(create_app(store_path, Settings()), "127.0.0.1", 0)
    try:
        server.start()
        assert gone() is None
        assert gc.get_freeze_count() > 1_000
        assert httpx.get(server.url + "api/health", timeout=5).status_code == 200
    finally:
        server.stop()
        gc.unfreeze()
