"""A real uvicorn server in a background thread, for tests that need a real socket.

Starlette's TestClient buffers whole responses, so it cannot read an endless Server-Sent Events
stream; these tests talk to a live server with httpx instead. Not a test module.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

HOST = "127.0.0.1"


class LiveServer:
    """`start()` returns once the server accepts connections; `stop()` never waits forever."""

    def __init__(self, app: FastAPI, *, host: str = HOST) -> None:
        # Bound here and handed to uvicorn, so no other process can take the port in between.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind((host, 0))
        self.host = host
        self.port = int(self.socket.getsockname()[1])
        self.config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            # Open streams are cut after this long when the server stops.
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                self.socket.close()
                raise RuntimeError("the server thread ended before the server started")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the server did not start within {timeout} s")
            time.sleep(0.02)

    def stop(self, timeout: float = 20.0) -> None:
        self.server.should_exit = True
        if not self.thread.is_alive() and self.thread.ident is None:
            self.socket.close()
            return
        self.thread.join(timeout)
        if self.thread.is_alive():
            # Something still holds a connection open: stop without waiting for it.
            self.server.force_exit = True
            self.thread.join(5.0)
        self.socket.close()
        if self.thread.is_alive():
            raise TimeoutError(f"the server on port {self.port} did not stop")


@contextmanager
def live_server(app: FastAPI, *, timeout: float = 15.0) -> Iterator[LiveServer]:
    """Serve `app` (its lifespan included) on a free 127.0.0.1 port for the `with` block."""
    server = LiveServer(app)
    server.start(timeout)
    try:
        yield server
    finally:
        server.stop()
