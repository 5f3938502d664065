"""Structured logs for batch schedulers: one JSON object a line, stage timings and counts.

Records carry only what ``event`` puts in them: stage names, seconds and row counts, never
an ID, a name or a salary (DOMAIN.md section 5). The text format is for people.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import resource
from typing import Any, Final

EVENT_FIELDS: Final = "linkage_fields"  # the LogRecord attribute holding an event's fields

log = logging.getLogger("linkage")


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def event(name: str, *, level: int = logging.INFO, **fields: int | float | str | None) -> None:
    """Log a pipeline event (``stage``, ``rows`` ...) with its fields, at INFO by default."""
    summary = " ".join(f"{key}={value}" for key, value in fields.items())
    log.log(level, "%s %s", name, summary, extra={EVENT_FIELDS: {"event": name, **fields}})


def warning(name: str, message: str, **fields: int | float | str | None) -> None:
    """A warning: the sentence for people, event ``name`` with its fields for schedulers.

    The message, like every log line, never holds an ID, a name or an amount.
    """
    log.warning(
        "%s", message, extra={EVENT_FIELDS: {"event": name, "message": message, **fields}}
    )


def json_lines() -> bool:
    """True when logs go out as JSON lines (``configure(json_lines=True)``)."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's JSON line."""
        document: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            **getattr(record, EVENT_FIELDS, {"message": record.getMessage()}),
        }
        return json.dumps(document, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A record as one line for people: ``warning: <message>``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's line."""
        return f"{record.levelname.lower()}: {record.getMessage()}"


def configure(*, verbose: bool, json_lines: bool) -> None:
    """Send logs to stderr, as text or as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if json_lines else TextFormatter()
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # other libraries' chatter stays out
    log.setLevel(logging.INFO if verbose or json_lines else logging.WARNING)
