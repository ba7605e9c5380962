"""Access-log records, made for less than ``logging.LogRecord()`` costs.

`Application.log_request` writes one record per request, so the record's
construction is on the hot path. ``LogRecord.__init__`` recomputes, for every
record, fields that are the same for every access line of a thread: the
source file's base name and module (two ``os.path`` calls), the process and
thread names, the level name. `AccessRecords` makes one record per level and
thread the documented way (the record factory) and then copies it, setting
only what changes: the time fields, the logger name, the message and its
arguments (and, on Python 3.12+, ``taskName``).

The copy is exact: a test compares every attribute with a record made by
``logging.LogRecord``. The stock path (``logger.makeRecord``) is used instead
whenever logging has been customised in a way a copy could miss: a record
factory installed with ``logging.setLogRecordFactory`` or a logger class with
its own ``makeRecord``. The template is remade every second and in every
other thread, so a renamed thread or process or a change of
``logging.logThreads``/``logProcesses``/``logMultiprocessing`` shows within
a second; a forked child drops the templates (``os.register_at_fork``), so
its records carry its own process id. (``LogRecord`` asks ``os.getpid()``
for every record, which is a system call.)
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

__all__ = ["AccessRecords"]

_LogRecord = logging.LogRecord
_base_make_record = logging.Logger.makeRecord
_get_factory = logging.getLogRecordFactory
_new = object.__new__
_time = time.time
_get_ident = threading.get_ident


class AccessRecords:
    """Makes the access-log records of one call site.

    Args:
        pathname: the source file the records name (``record.pathname``).
        lineno: the line they name.
        func: the function they name (``record.funcName``).
    """

    __slots__ = ("_pathname", "_lineno", "_func", "_templates", "_fork_hooked")

    def __init__(self, pathname: str, lineno: int, func: str) -> None:
        self._pathname = pathname
        self._lineno = lineno
        self._func = func
        # level -> (fields, remake after this time, thread id, relativeCreated
        # minus created in milliseconds, whether records have a taskName)
        self._templates: dict[int, tuple[dict[str, Any], float, int, float, bool]] = {}
        self._fork_hooked = False

    def make(
        self,
        logger: logging.Logger,
        level: int,
        msg: str,
        args: tuple[Any, ...],
        now: float | None = None,
    ) -> logging.LogRecord:
        """A record as ``logger.makeRecord`` would make it (no exception, no extra).

        ``args`` must not be a single mapping (``LogRecord`` would unwrap it).
        ``now`` is the record's creation time if the caller has just read
        ``time.time()`` (one clock reading for the record and its
        arguments); the stock path reads the clock itself.
        """
        if _get_factory() is not _LogRecord or type(logger).makeRecord is not _base_make_record:
            return logger.makeRecord(
                logger.name, level, self._pathname, self._lineno, msg, args, None, self._func
            )
        if now is None:
            now = _time()
        template = self._templates.get(level)
        if template is None:
            return self._remake(logger, level, msg, args)
        template_fields, until, thread, relative_base, has_task = template
        if now >= until or thread != _get_ident():
            return self._remake(logger, level, msg, args)
        record: logging.LogRecord = _new(_LogRecord)
        fields = record.__dict__
        fields.update(template_fields)
        fields["name"] = logger.name
        fields["msg"] = msg
        fields["args"] = args
        fields["created"] = now
        # As LogRecord computes them: whole milliseconds (gh-89047), and
        # the time since logging was imported (from the template's).
        fields["msecs"] = int((now - int(now)) * 1000) + 0.0
        fields["relativeCreated"] = relative_base + now * 1000
        if has_task and getattr(logging, "logAsyncioTasks", False):
            fields["taskName"] = _task_name()
        return record

    def _remake(
        self, logger: logging.Logger, level: int, msg: str, args: tuple[Any, ...]
    ) -> logging.LogRecord:
        """Make a record the stock way and keep its fields as the template."""
        record = _LogRecord(logger.name, level, self._pathname, self._lineno, msg, args, None, self._func)
        if not self._fork_hooked:
            self._fork_hooked = True
            if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
                os.register_at_fork(after_in_child=self._templates.clear)
        if len(self._templates) >= 64:  # levels are few; never let it grow
            self._templates.clear()
        fields = dict(record.__dict__)
        self._templates[level] = (
            fields,
            int(record.created) + 1.0,
            _get_ident(),
            record.relativeCreated - record.created * 1000,
            "taskName" in fields,
        )
        return record


def _task_name() -> str | None:
    """``record.taskName`` as Python 3.12+ sets it: the current task's name."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: no task either
        return None
    return None if task is None else task.get_name()
