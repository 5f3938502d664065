"""Pseudonymized copies of a payroll or registry file, for agencies that share them.

The tax agency and VSS run ``linkage pseudonymize`` on their own files under one shared key
and exchange the copies: every citizen ID and personal tax code becomes its kind and a
keyed hash (``privacy.pseudonyms``), normalized first, so the ``001…`` CCCD Excel cut to
ten digits and the same CCCD written in full hash alike. What a CCCD encodes (birth year,
sex) is written beside its pseudonym, since linking compares it. A 10-digit SI code is
VSS's own key and is kept; one that is a citizen ID is pseudonymized. Every other column
is copied as read. An ID the engine would not use (invalid, or scientific notation) is
left blank rather than copied, so no fragment of it leaves.

``linkage run`` reads the copies like any other file, and its exact passes give the same
links on them as on the originals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from linkage.errors import ConfigError, InputError
from linkage.load import SourceMapping, read_source
from linkage.normalize import (
    kept_pseudonyms,
    national_ids,
    person_tax_codes,
    pseudonym_kinds,
    si_codes,
)
from linkage.privacy import pseudonyms
from linkage.schema import RAW_OPTIONAL, RAW_REQUIRED, Source
from linkage.write.files import check_new_file, owned_file

_IDENTIFIERS: Final = {
    Source.PAYROLL: ("national_id", "person_tax_code"),
    Source.INSURED: ("national_id", "si_code"),
}
_FORMATS: Final = (".csv", ".parquet")


@dataclass(frozen=True)
class PseudonymReport:
    """Rows written, and per column the IDs pseudonymized and those left blank."""

    rows: int
    pseudonymized: dict[str, int]
    blanked: dict[str, int]


def _hashed(normalized: pd.Series, kinds: pd.Series, key: bytes) -> pd.Series:
    """Each value replaced by the pseudonym of its kind; values without a kind kept."""
    result = normalized.astype(pd.ArrowDtype(pa.string()))
    for kind in kinds.dropna().unique():
        where = (kinds == kind).fillna(value=False)
        result = result.where(~where, pseudonyms(normalized[where], str(kind), key))
    return result


def _citizen_or(normalized: pd.Series, other: str | None) -> pd.Series:
    """The kind "cccd" for 12-digit values, ``other`` for the rest (None: kept as read)."""
    citizen = (normalized.str.len() == 12).fillna(value=False)
    kinds = pd.Series(other, index=normalized.index, dtype=pd.ArrowDtype(pa.string()))
    return kinds.where(~citizen, "cccd")


def pseudonymized(raw: pd.DataFrame, source: Source, key: bytes) -> pd.DataFrame:
    """A raw batch with its person identifiers replaced (see the module docstring)."""
    ids = national_ids(raw["national_id"])
    columns = {
        "national_id": _hashed(ids["national_id"], ids["national_id_kind"], key),
        "id_birth_year": ids["id_birth_year"].astype(pd.ArrowDtype(pa.string())),
        "id_gender": ids["id_gender"],
    }
    if source is Source.PAYROLL:
        tax = person_tax_codes(raw["person_tax_code"])
        columns["person_tax_code"] = _hashed(tax, _citizen_or(tax, "mst"), key)
    else:
        si_code = si_codes(raw["si_code"])
        columns["si_code"] = _hashed(si_code, _citizen_or(si_code, None), key)
    # A copy pseudonymized again stays as it is: its pseudonyms, and what they carry.
    shipped = pseudonym_kinds(raw["national_id"]).notna()
    for column in ("id_birth_year", "id_gender"):
        columns[column] = columns[column].where(~shipped, raw[column])
    for column in _IDENTIFIERS[source]:
        columns[column] = kept_pseudonyms(columns[column], raw[column])
    names = [*RAW_REQUIRED[source], *RAW_OPTIONAL[source]]
    return raw.assign(**columns)[names]


def pseudonymize(
    path: Path,
    source: Source,
    mapping: SourceMapping,
    output: Path,
    key: bytes,
    *,
    batch_rows: int = 250_000,
) -> PseudonymReport:
    """Write a pseudonymized copy of ``path`` (a ``source`` file) to ``output``.

    Raises:
        ConfigError: ``output`` exists (never overwritten), is not .csv or .parquet, or
            cannot be written.
        InputError: the input cannot be read (as for ``linkage run``).
    """
    check_new_file(output, _FORMATS, option="--output")
    reader = read_source(path, source, mapping, batch_rows=batch_rows)
    rows, hashed, blanked = 0, Counter[str](), Counter[str]()
    writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
    try:
        with owned_file(output, replace=False) as partial:
            for batch in reader:
                copy = pseudonymized(batch, source, key)
                table = pa.Table.from_pandas(copy, preserve_index=False).cast(
                    pa.schema([(name, pa.string()) for name in copy.columns])
                )
                if writer is None:
                    parquet = output.suffix.lower() == ".parquet"
                    writer = (pq.ParquetWriter if parquet else pacsv.CSVWriter)(
                        partial, table.schema
                    )
                writer.write_table(table)
                rows += len(copy)
                for column in _IDENTIFIERS[source]:
                    written, read = copy[column], batch[column].str.strip()
                    hashed[column] += int(written.str.contains(":", regex=False).sum())
                    blanked[column] += int((read.ne("") & written.isna()).sum())
            if writer is None:
                msg = f"{path}: no data rows; check that the file holds the {source.value} table"
                raise InputError(msg)
            writer.close()
            writer = None
    except OSError as e:
        msg = f"--output {output}: cannot write ({e.strerror or e})"
        raise ConfigError(msg) from e
    finally:
        if writer is not None:
            writer.close()
    return PseudonymReport(rows=rows, pseudonymized=dict(hashed), blanked=dict(blanked))
