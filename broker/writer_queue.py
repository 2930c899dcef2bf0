"""Take turns writing to a SQLite file, across the threads and the processes of the service.

SQLite lets one transaction write at a time. A writer that finds the file busy waits in SQLite's
busy handler, which sleeps up to 100 ms between attempts: under a steady load from many threads
the lock is free only for moments, and a waiter can sleep through every one of them until the
busy timeout ends its request with "database is locked". Here writers queue instead: first come,
first served inside a process (``FairLock``), and across processes through an ``flock`` on a file
next to the database that the head of each process's queue retries every millisecond. The kernel
drops an ``flock`` when its process dies, so a crash never leaves the queue stuck.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque

from broker import metrics
from broker.errors import ServiceUnavailable

POLL_S = 0.001


class WriterTimeout(ServiceUnavailable):
    """No turn to write came within the timeout: the client may retry (503 with Retry-After)."""

    retry_after = 5


class FairLock:
    """A lock that threads get in the order they asked for it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # hand over: the lock stays held, by the next in line
            else:
                self._held = False


class WriterQueue:
    """One writer at a time for the SQLite file at ``database``, taken with ``acquire`` and given back
    with ``release``; waits longer than ``timeout_s`` raise ``WriterTimeout``."""

    def __init__(self, database: str, timeout_s: float) -> None:
        self.lock_path = f"{database}-writer.lock"
        self.timeout_s = timeout_s
        self._in_process = FairLock()

    def acquire(self) -> int:
        """Wait for the turn to write; returns a token for ``release``."""
        started = time.monotonic()
        try:
            token = self._acquire(started + self.timeout_s)
        except WriterTimeout:
            metrics.LOCK_TIMEOUTS.inc()
            raise
        finally:
            metrics.LOCK_WAIT_SECONDS.observe(time.monotonic() - started)
        return token

    def _acquire(self, deadline: float) -> int:
        if not self._in_process.acquire(self.timeout_s):
            raise WriterTimeout(f"no turn to write to the database within {self.timeout_s:.0f} s")
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except BaseException:
            self._in_process.release()
            raise
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    self._in_process.release()
                    raise WriterTimeout(
                        f"another process held the database for over {self.timeout_s:.0f} s"
                    ) from None
                time.sleep(POLL_S)
            except BaseException:
                os.close(fd)
                self._in_process.release()
                raise

    def release(self, token: int) -> None:
        try:
            fcntl.flock(token, fcntl.LOCK_UN)
            os.close(token)
        finally:
            self._in_process.release()
