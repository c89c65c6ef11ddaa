"""Argon2id password hashing off the event loop, in a small bounded thread pool (INBOX_HASH_THREADS).

One check takes about 150 ms of CPU and 64 MiB of memory; run on the event loop it stalls every other request
of the process for that long. argon2 releases the GIL, so a thread pool keeps the loop free; its size bounds
the CPU and memory that logins can take at once, and further checks wait their turn in the pool's queue. On
Linux the pool's threads run at a lower priority (nice 10), so the event loop gets the CPU first when both want it.

A check for an account that does not exist verifies the password against a fixed dummy hash, through the same
pool: it costs and queues exactly like a real check, so the answer's timing does not tell whether the account
exists, even when the pool is busy (a cheap rejection padded with a sleep would not queue, and would show).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")
_NICE = 10  # the hashing threads yield the CPU to the event loop's thread when both want it


def _lower_priority() -> None:
    """Run this pool thread at a lower priority than the event loop (Linux has a priority per thread)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)


class Passwords:
    """Hashes and checks passwords in `threads` worker threads."""

    def __init__(self, threads: int = 2) -> None:
        self._hasher = PasswordHasher()
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_priority
        )
        # Made once, in the pool, at start: the first unknown name must not take longer than a known one.
        self._dummy: Future[str] = self._pool.submit(self._hasher.hash, "not the password of anyone")

    async def _run(self, call: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call, *args)

    async def hash(self, password: str) -> str:
        """The argon2id hash of a password."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches the stored hash; with no stored hash, False after the same work."""
        return await self._run(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy.result(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether a hash was made with older parameters (cheap: reads its header)."""
        return self._hasher.check_needs_rehash(stored)

    def close(self) -> None:
        """Stop the threads once the checks under way are done."""
        self._pool.shutdown(wait=False, cancel_futures=True)
