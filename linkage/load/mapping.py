"""Source column mappings: which headers and values in the agencies' files mean what.

A mapping file (``configs/mappings/default.toml``) lists, per source, the header spellings
of every canonical raw column, and per vocabulary the spellings of every canonical value.
Spellings match after :func:`linkage.folding.fold`, so case, diacritics and punctuation
never matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from linkage.config import read_toml
from linkage.errors import ConfigError
from linkage.folding import fold
from linkage.schema import (
    RAW_OPTIONAL,
    RAW_REQUIRED,
    BusinessStatus,
    ContractType,
    Gender,
    InsuredStatus,
    Source,
)

# Vocabularies the engine relies on, with their canonical values (None: any value).
REQUIRED_VOCABULARIES: Final[dict[str, frozenset[str] | None]] = {
    "gender": frozenset(Gender),
    "insured_status": frozenset(InsuredStatus),
    "business_status": frozenset(BusinessStatus),
    "nationality": None,
}
# Vocabularies a mapping may leave out: the column they read is optional.
OPTIONAL_VOCABULARIES: Final[dict[str, frozenset[str] | None]] = {
    "contract_type": frozenset(ContractType),
}


INCOME_BASES: Final = ("monthly", "period_total")


@dataclass(frozen=True)
class SourceMapping:
    """Header spellings per source column and value spellings per vocabulary.

    Attributes:
        columns: source -> canonical column -> accepted header spellings (as written in
            the file, canonical name included).
        vocabularies: vocabulary name -> canonical value -> accepted spellings.
        path: the mapping file, for messages.
    """

    columns: dict[Source, dict[str, tuple[str, ...]]]
    vocabularies: dict[str, dict[str, tuple[str, ...]]]
    path: Path | None = None
    # What the payroll income column holds: "monthly", or "period_total" (the total over
    # the row's period, as in an annual finalization: the year's income).
    income: str = "monthly"

    def header_lookup(self, source: Source) -> dict[str, str]:
        """Folded header spelling -> canonical column, for one source."""
        return {
            fold(spelling): column
            for column, spellings in self.columns[source].items()
            for spelling in spellings
        }

    def value_lookup(self, vocabulary: str) -> dict[str, str]:
        """Folded value spelling -> canonical value, for one vocabulary.

        Raises:
            KeyError: if the vocabulary is not in the mapping.
        """
        return {
            fold(spelling): value
            for value, spellings in self.vocabularies[vocabulary].items()
            for spelling in spellings
        }


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate a mapping file.

    Raises:
        ConfigError: listing every problem at once, each naming the file and key.
    """
    document, _ = read_toml(path, "mapping file")
    return parse_mapping(document, path)


def parse_mapping(document: Mapping[str, Any], path: Path) -> SourceMapping:
    """Validate a parsed mapping document (see :func:`load_mapping`)."""
    problems: list[str] = []
    allowed_sections = sorted([s.value for s in Source] + ["vocabularies"])
    for name in document:
        if name not in allowed_sections:
            problems.append(f"{path}: unknown section [{name}]; allowed: {allowed_sections}")

    columns = {
        source: _parse_columns(document.get(source.value, {}), source, path, problems)
        for source in Source
    }
    vocabularies = _parse_vocabularies(document.get("vocabularies", {}), path, problems)
    payroll = document.get(Source.PAYROLL.value, {})
    income = payroll.get("income", "monthly") if isinstance(payroll, dict) else "monthly"
    if income not in INCOME_BASES:
        problems.append(f"{path}[payroll].income: {income!r} is not one of {list(INCOME_BASES)}")
    if problems:
        raise ConfigError(problems)
    return SourceMapping(columns=columns, vocabularies=vocabularies, path=path, income=income)


def _spellings(value: Any, where: str, problems: list[str]) -> tuple[str, ...] | None:
    """A non-empty list of non-empty strings, or None after recording the problem."""
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: {value!r} must be a non-empty list of strings")
        return None
    bad = [v for v in value if not isinstance(v, str) or not fold(v)]
    if bad:
        problems.append(f"{where}: {bad!r} are not usable spellings (empty or not strings)")
        return None
    return tuple(value)


def _parse_columns(
    table: Any, source: Source, path: Path, problems: list[str]
) -> dict[str, tuple[str, ...]]:
    where = f"{path}[{source.value}]"
    known = RAW_REQUIRED[source] + RAW_OPTIONAL[source]
    settings = {"columns", "income"} if source is Source.PAYROLL else {"columns"}
    if not isinstance(table, dict) or set(table) - settings:
        allowed = " and income" if source is Source.PAYROLL else ""
        problems.append(f"{where}: must hold only a [{source.value}.columns] table{allowed}")
        return {c: (c,) for c in known}
    columns = table.get("columns", {})
    if not isinstance(columns, dict):
        problems.append(f"{where}.columns: must be a table")
        return {c: (c,) for c in known}

    result: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}  # folded spelling -> column claiming it
    for column in known:  # the canonical name always names its own column
        owner[fold(column)] = column
    for column, value in columns.items():
        key = f"{where}.columns.{column}"
        if column not in known:
            problems.append(f"{key}: unknown canonical column {column!r}; allowed: {list(known)}")
            continue
        spellings = _spellings(value, key, problems)
        if spellings is None:
            continue
        for spelling in spellings:
            claimed = owner.setdefault(fold(spelling), column)
            if claimed != column:
                problems.append(
                    f"{key}: header {spelling!r} is already claimed by column {claimed!r}"
                )
        result[column] = tuple(dict.fromkeys((column, *spellings)))
    for column in known:
        result.setdefault(column, (column,))
    return {c: result[c] for c in known}


def _parse_vocabularies(
    table: Any, path: Path, problems: list[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    where = f"{path}[vocabularies]"
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table of vocabularies")
        return {}
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for name in REQUIRED_VOCABULARIES:
        if name not in table:
            problems.append(f"{where}: missing vocabulary [vocabularies.{name}]")
    for name, values in table.items():
        key = f"{where}.{name}"
        if not isinstance(values, dict) or not values:
            problems.append(f"{key}: must be a non-empty table of value = [spellings]")
            continue
        allowed = (REQUIRED_VOCABULARIES | OPTIONAL_VOCABULARIES).get(name)
        vocabulary: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for value, listed in values.items():
            if allowed is not None and value not in allowed:
                problems.append(
                    f"{key}.{value}: unknown value {value!r}; allowed: {sorted(allowed)}"
                )
                continue
            spellings = _spellings(listed, f"{key}.{value}", problems)
            if spellings is None:
                continue
            for spelling in (value, *spellings):
                claimed = owner.setdefault(fold(spelling), value)
                if claimed != value:
                    problems.append(
                        f"{key}.{value}: spelling {spelling!r} is already claimed by {claimed!r}"
                    )
            vocabulary[value] = tuple(dict.fromkeys((value, *spellings)))
        result[name] = vocabulary
    return result
