"""One exception tree for the engine.

    LinkageError                 base of everything we raise on purpose
    ├── UserError                the user can fix it; the CLI prints it without a traceback
    │   ├── ConfigError          a config or mapping file is wrong           (exit 2)
    │   ├── OutputLocked         another run is writing the same output      (exit 3)
    │   └── InputError           an input file cannot be read as promised    (exit 1)
    │       └── EncodingError    legacy encoding / mojibake detected         (exit 1)
    └── PipelineError            an internal invariant broke (a bug: row counts do not add up)

Messages name the file, line and column and say what to do; they never carry a full
national ID, name or salary (DOMAIN.md section 5).
"""

from __future__ import annotations


class LinkageError(Exception):
    """Base class of all errors raised by linkage on purpose."""


class UserError(LinkageError):
    """An error the user can fix; shown without a traceback."""

    exit_code = 1


class ConfigError(UserError):
    """A configuration, mapping or rule file is invalid; lists every problem at once."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class OutputLocked(UserError):
    """Another live linkage run holds the output directory's lock."""

    exit_code = 3


class InputError(UserError):
    """An input file is missing, unreadable, or lacks a required column."""

    exit_code = 1


class EncodingError(InputError):
    """An input file is in a legacy Vietnamese encoding (TCVN3/VNI) or holds mojibake."""


class PipelineError(LinkageError):
    """An internal invariant broke, such as row accounting that does not add up."""

