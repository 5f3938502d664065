"""Run configuration: frozen dataclasses and one TOML loader that reports every problem at once.

Relative paths in a config file resolve against that file's folder, so a run behaves the
same from any working directory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkage.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


@dataclass(frozen=True)
class InputsConfig:
    """Where the three sources are and how their headers and values map to the contract."""

    businesses: Path
    payroll: Path
    insured: Path
    mapping: Path
    batch_rows: int = 250_000
    # Stop before linking when a source rejects more than this share of its rows: a file
    # that mostly fails to load is the wrong file or a new export layout, not data to act on.
    max_reject_share: float = 0.2


@dataclass(frozen=True)
class LinkConfig:
    """Matching: decision bands, tie handling and model fitting."""

    # The model's probabilities are calibrated (each piece of evidence counted once), so
    # the Bayes decision links a pair that is more likely the same person than not; the
    # plausible but less likely pairs go to a clerk rather than into a letter.
    match_probability: float = 0.5
    review_probability: float = 0.2
    tie_margin: float = 3.0  # log2 units: a runner-up this close sends the link to review
    em_max_iterations: int = 50
    em_tolerance: float = 1e-5
    u_sample_pairs: int = 1_000_000
    chunk_pairs: int = 1_000_000  # pairs compared at once: memory follows this, not the run
    # A blocking rule gives a row no pairs when its key meets more records than this.
    max_records_per_key: int = 100
    max_pairs: int = 500_000_000  # blocked pairs above which a run is refused before comparing
    seed: int = 20251
    model: Path | None = None  # a saved model to reuse instead of fitting
    # A clerk's labels (``linkage review import``): the pairs labelled match train m as
    # known matches, beside the exact-ID links; non-match and unsure ones are not used.
    labels: Path | None = None
    workers: int = -1  # rapidfuzz threads; -1 = all cores
    engine: str = "local"  # "dask": chunks compared and scored on a Dask cluster
    scheduler: str | None = None  # a Dask scheduler address; none: a LocalCluster
    scheduler_timeout: float = 10.0  # seconds to wait for that scheduler before refusing


@dataclass(frozen=True)
class EligibilityConfig:
    """Rules in force and the outreach unit."""

    rules: Path
    crosswalk: Path | None = None
    # The day the insured registry was extracted: registration deadlines are judged then.
    # None: ``linkage run --as-of``, else the run date (the manifest says which).
    as_of: dt.date | None = None


@dataclass(frozen=True)
class OutputConfig:
    """What is written and how."""

    dir: Path
    # Citizen IDs, and SI codes that are citizen IDs, masked in every output file (the
    # outreach lists and links.parquet); false for a run whose links are looked up by code.
    mask_ids: bool = True
    excel: bool = False
    # report.html, the run's charts and counts (about 2 s of matplotlib a run); a batch job
    # that reads only the lists can go without.
    report: bool = True


@dataclass(frozen=True)
class Config:
    """A whole run's configuration."""

    inputs: InputsConfig
    link: LinkConfig = field(default_factory=LinkConfig)
    eligibility: EligibilityConfig = field(default_factory=lambda: EligibilityConfig(Path()))
    output: OutputConfig = field(default_factory=lambda: OutputConfig(Path("out")))
    source: Path = DEFAULT_CONFIG
    digest: str = ""  # sha256 of the config file bytes, recorded in outputs


_SECTIONS: dict[str, type[Any]] = {
    "inputs": InputsConfig,
    "link": LinkConfig,
    "eligibility": EligibilityConfig,
    "output": OutputConfig,
}


def _coerce(value: Any, annotation: Any, base: Path) -> Any:
    """Convert a TOML value to the field's type, or raise ValueError naming the expected type."""
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    if options:
        if value is None:
            return None
        annotation = next(a for a in options if a is not type(None))
    if annotation is Path:
        if not isinstance(value, str):
            msg = "a path string"
            raise ValueError(msg)
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path).resolve()
    if annotation is bool:
        if not isinstance(value, bool):
            msg = "true or false"
            raise ValueError(msg)
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = "an integer"
            raise ValueError(msg)
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = "a number"
            raise ValueError(msg)
        return float(value)
    if annotation is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            msg = "a date (YYYY-MM-DD)"
            raise ValueError(msg)
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        except ValueError:
            msg = "a date (YYYY-MM-DD)"
            raise ValueError(msg) from None
    if annotation is str and not isinstance(value, str):
        msg = "a string"
        raise ValueError(msg)
    return value


def _build(
    cls: type[Any], table: dict[str, Any], where: str, base: Path, problems: list[str]
) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(f"{where}: unknown key {key!r}; allowed: {sorted(fields)}")
            continue
        try:
            values[key] = _coerce(value, hints[key], base)
        except ValueError as e:
            problems.append(f"{where}.{key}: {value!r} is not {e}")
    required = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    for name in required:
        if name not in values and name not in table:
            problems.append(f"{where}: missing required key {name!r}")
    if any(p.startswith(where) for p in problems):
        return None
    return cls(**values)


# Allowed range of every numeric key, (low, high) inclusive; None = unbounded.
_RANGES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "inputs": {"batch_rows": (1, None), "max_reject_share": (0.0, 1.0)},
    "link": {
        "match_probability": (0.0, 1.0),
        "review_probability": (0.0, 1.0),
        "tie_margin": (0.0, None),
        "em_max_iterations": (1, None),
        "em_tolerance": (0.0, 1.0),
        "u_sample_pairs": (1, None),
        "chunk_pairs": (1, None),
        "max_records_per_key": (1, None),
        "max_pairs": (1, None),
        "seed": (0, 2**32 - 1),
        "workers": (-1, None),
        "scheduler_timeout": (0.0, None),
    },
}


def _check_ranges(config: Config, where: str) -> list[str]:
    problems = []
    for section, keys in _RANGES.items():
        values = getattr(config, section)
        for key, (low, high) in keys.items():
            value = getattr(values, key)
            if (low is not None and value < low) or (high is not None and value > high):
                allowed = f"from {low!r}" + (f" to {high!r}" if high is not None else " up")
                problems.append(f"{where}[{section}].{key}: {value!r} is out of range ({allowed})")
    link = config.link
    if link.engine not in ("local", "dask"):
        problems.append(f"{where}[link].engine: {link.engine!r} is not 'local' or 'dask'")
    if not 0.0 < link.review_probability <= link.match_probability < 1.0:
        problems.append(
            f"{where}[link]: need 0 < review_probability <= match_probability < 1, got "
            f"{link.review_probability!r} and {link.match_probability!r}"
        )
    return problems


def read_toml(path: Path, what: str) -> tuple[dict[str, Any], bytes]:
    """A TOML file's document and raw bytes; ConfigError naming the file if unreadable."""
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8")), raw
    except OSError as e:
        msg = f"{path}: cannot read {what} ({e.strerror})"
        raise ConfigError(msg) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        msg = f"{path}: not valid TOML: {e}"
        raise ConfigError(msg) from e


def load_config(path: Path | None = None, **overrides: Path | None) -> Config:
    """Read a TOML config; ``overrides`` (section__key=path) replace the file's keys.

    Raises:
        ConfigError: listing every problem found, each naming the file and key.
    """
    path = (path or DEFAULT_CONFIG).resolve()
    document, raw = read_toml(path, "config file")

    problems = [
        f"{path}: unknown section [{name}]; allowed: {sorted(_SECTIONS)}"
        for name in document
        if name not in _SECTIONS
    ]
    # Command-line paths (relative to the working directory) replace the file's keys
    # before validation, so a config may leave the inputs to the command line.
    for key, value in overrides.items():
        section, _, name = key.partition("__")
        table = document.setdefault(section, {})
        if value is not None and isinstance(table, dict):
            table[name] = str(Path(value).resolve())
    base = path.parent
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = document.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"{path}: [{name}] must be a table")
            continue
        sections[name] = _build(cls, table, f"{path}[{name}]", base, problems)
    if problems:
        raise ConfigError(problems)

    config = Config(**sections, source=path, digest=hashlib.sha256(raw).hexdigest())
    problems = _check_ranges(config, str(path))
    if problems:
        raise ConfigError(problems)
    return config
