"""Decoders that cannot be stopped, run in a child process that can be.

libvips checks a kill flag between tiles, so `deadline.py` stops a slow libvips decode in-process.
libheif (HEIC) and LibRaw (RAW) offer Python no such hook: a thread running them cannot be stopped,
and a thread abandoned after a join timeout keeps burning a core and its memory. So they run in a
long-lived child process per calling thread (`isolated_worker.py`), started once and reused; when a
decode overruns its deadline the child is killed (SIGKILL) and the next request starts a fresh one.
The same wall protects the worker from a segfault in either C/C++ library on a hostile file.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

# Importing pillow-heif and rawpy takes ~0.5 s; that start is not counted against a decode's limit.
STARTUP_TIMEOUT = 60.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_threads = 1
_local = threading.local()
_live: weakref.WeakSet[IsolatedDecoder] = weakref.WeakSet()


class IsolatedError(Exception):
    """The child answered that it could not decode the file; the message says why."""


class IsolatedTimeout(IsolatedError):
    """The decode did not finish before its deadline; the child was killed."""


class IsolatedCrash(IsolatedError):
    """The child died while decoding (a crash in the native decoder)."""


def set_threads(threads: int) -> None:
    """Threads each child's decoders may use (LibRaw's OpenMP, libheif); applies to new children."""
    global _threads
    _threads = max(1, threads)


def decoder() -> IsolatedDecoder:
    """This thread's child process (one per thread, so that parallel decodes never queue)."""
    current = getattr(_local, "decoder", None)
    if current is None:
        current = _local.decoder = IsolatedDecoder(_threads)
        _live.add(current)
    return current


class IsolatedDecoder:
    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()

    def request(self, request: dict[str, Any], deadline: float) -> tuple[dict[str, Any], bytes]:
        """Send one request; return the child's header and payload, or raise an IsolatedError.
        `deadline` is a `time.monotonic()` value; the child's start-up does not count."""
        process = self._ensure_started()
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            header = json.loads(self._read_line(deadline))
            payload = self._read_exactly(int(header.get("length", 0)), deadline)
        except TimeoutError:
            self.stop()
            raise IsolatedTimeout("the decoder did not finish in time and was stopped") from None
        except (BrokenPipeError, EOFError, ValueError):
            code = self.stop()
            raise IsolatedCrash(f"the decoder process died ({_describe_exit(code)})") from None
        if not header.get("ok"):
            raise IsolatedError(str(header.get("error") or "unknown decoder error"))
        return header, payload

    def stop(self) -> int | None:
        """Kill the child (if any); return its exit code."""
        process, self._process = self._process, None
        self._buffer.clear()
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return process.wait()

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.stop()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        env["CONTACTSHEET_DECODE_THREADS"] = str(self._threads)
        env["OMP_NUM_THREADS"] = str(self._threads)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "contactsheet.imaging.isolated_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        try:
            ready = json.loads(self._read_line(time.monotonic() + STARTUP_TIMEOUT))
        except (TimeoutError, EOFError, ValueError):
            code = self.stop()
            raise IsolatedCrash(
                f"the decoder process did not start ({_describe_exit(code)})"
            ) from None
        if not ready.get("ready"):
            self.stop()
            raise IsolatedCrash("the decoder process did not start")
        return self._process

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            self._fill(deadline, 64 * 1024)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline, max(size - len(self._buffer), 64 * 1024))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self, deadline: float, size: int) -> None:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            raise TimeoutError
        chunk = os.read(fd, min(size, 8 * 1024 * 1024))
        if not chunk:
            raise EOFError
        self._buffer += chunk


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


@atexit.register
def _stop_all() -> None:
    for child in list(_live):
        child.stop()
