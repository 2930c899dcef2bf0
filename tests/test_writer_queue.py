"""Writers take turns: first come, first served in a process; one at a time across processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from broker.writer_queue import FairLock, WriterQueue, WriterTimeout


def test_fair_lock_serves_threads_in_the_order_they_asked() -> None:
    lock = FairLock()
    assert lock.acquire(1)
    order: list[int] = []

    def wait_turn(n: int) -> None:
        assert lock.acquire(10)
        order.append(n)
        lock.release()

    threads = []
    for n in range(8):
        thread = threading.Thread(target=wait_turn, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)  # let each one queue before the next arrives
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(8))


def test_fair_lock_waiter_that_gives_up_does_not_block_the_next() -> None:
    lock = FairLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.05)
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(lock.acquire(5)))
    thread.start()
    time.sleep(0.05)
    lock.release()
    thread.join(timeout=5)
    assert got == [True]


def test_one_writer_at_a_time_across_queues_on_the_same_file(tmp_path: Path) -> None:
    database = str(tmp_path / "broker.db")
    first, second = WriterQueue(database, 0.2), WriterQueue(database, 0.2)  # as two processes would
    token = first.acquire()
    with pytest.raises(WriterTimeout):
        second.acquire()
    first.release(token)
    second.release(second.acquire())


def test_a_killed_process_leaves_no_turn_behind(tmp_path: Path) -> None:
    database = str(tmp_path / "broker.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from broker.writer_queue import WriterQueue; "
            f"WriterQueue({database!r}, 5).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WriterTimeout):
            WriterQueue(database, 0.1).acquire()
    finally:
        holder.kill()
        holder.communicate(timeout=10)
    queue = WriterQueue(database, 2)
    queue.release(queue.acquire())
