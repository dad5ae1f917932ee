"""Async work the window's view-models start: owned, so closing cancels and awaits it.

``owned_slot`` turns a coroutine method into a Qt slot whose task goes to the
object's ``tasks`` (a TaskGroup): no job, journal or socket work outlives the
window, and a failure becomes a message instead of a lost traceback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Slot

log = logging.getLogger("videostudio.ui")


class TaskGroup:
    """The tasks of one window; ``on_error`` hears of each that failed."""

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._pending: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("a window action failed", exc_info=error)
            if error is not None:
                self._on_error(error)

    async def aclose(self) -> None:
        """Cancel every task but the caller's, and wait for them to end."""
        current = asyncio.current_task()
        pending = [t for t in self._pending if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def owned_slot(*types: type) -> Callable[[Callable[..., Any]], Any]:
    """An async Qt slot whose task the object's ``tasks`` owns."""

    def decorate(method: Callable[..., Any]) -> Any:
        @Slot(*types)
        @functools.wraps(method)
        def slot(self: Any, *args: Any) -> asyncio.Task[Any]:
            tasks: TaskGroup = self.tasks
            return tasks.spawn(method(self, *args))

        return slot

    return decorate
