"""Payroll rows of one taxpayer share what each of them knows.

A personal tax code (MST cá nhân, or from July 2025 the citizen ID) names one taxpayer, and a
taxpayer paid by several employers, or in several periods, has several withholding rows. One
row may carry the citizen ID another left blank, or the birth date a second wrote only as a
year. Before linking, a blank person field of a row is filled from its siblings, but only
where the siblings agree on one value: a conflict (a typo, a CMND beside a CCCD) is left as it
is, for the comparisons to weigh. The payroll table itself is not changed; eligibility sees
the rows as declared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage._vector import pair_keys
from linkage.link.blocking import combined_codes
from linkage.schema import Band

# Fields filled together, each group from one source of truth: the ID with what it
# encodes, the birth date with its parts and precision, the declared sex.
_FIELD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("national_id", "national_id_kind", "id_birth_year", "id_gender"),
    ("birth_date", "birth_year", "birth_month", "birth_day", "birth_precision"),
    ("gender",),
)


def _distinct_per_taxpayer(
    owner: np.ndarray, value: np.ndarray, taxpayers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per taxpayer code, how many distinct codes ``value`` takes on its rows, and one of them.

    Both arrays have one slot more than taxpayers, read by code -1 (no tax code): count 0.
    """
    width = int(value.max(initial=0)) + 1
    owned = pd.unique(pair_keys(owner, value, width))  # each (taxpayer, value) once
    count = np.bincount(owned // width, minlength=taxpayers + 1)
    one = np.zeros(taxpayers + 1, dtype=np.int64)
    one[owned // width] = owned % width  # the only one, where the count is 1
    return count, one


def share_taxpayer_fields(payroll: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``payroll`` with blank person fields filled from the same taxpayer's rows.

    Taxpayers and each group's versions are integer codes, so finding the taxpayers whose
    rows agree and filling their blanks are numpy passes over the table (drop_duplicates
    over Arrow strings took 9 s a million rows).

    Args:
        payroll: schema.PAYROLL table.

    Returns:
        The same rows and columns, in the same order; only nulls are filled.
    """
    owner = taxpayer_codes(payroll)
    taxpayers = int(owner.max(initial=-1)) + 1
    known = owner >= 0
    if known.sum() == taxpayers:  # every taxpayer has a single row
        return payroll
    filled = {}
    for fields in _FIELD_GROUPS:
        key = fields[0]
        # A birth known only by its year still fills a row that has no birth at all.
        present = payroll[key].notna().to_numpy() | (
            payroll[fields[1]].notna().to_numpy() if key == "birth_date" else False
        )
        donor = np.flatnonzero(present & known)
        version = combined_codes(
            [pd.factorize(payroll[f], use_na_sentinel=False)[0].astype(np.int64) for f in fields]
        )
        versions, _ = _distinct_per_taxpayer(owner[donor], version[donor], taxpayers)
        donor_of = np.full(taxpayers, -1, dtype=np.int64)
        donor_of[owner[donor]] = donor  # any one: an agreed taxpayer's donors are one version
        blank = np.flatnonzero(~present & known)
        blank = blank[versions[owner[blank]] == 1]
        if len(blank) == 0:
            continue
        source = np.arange(len(payroll))
        source[blank] = donor_of[owner[blank]]
        filled.update(
            {column: payroll[column].take(source).set_axis(payroll.index) for column in fields}
        )
    return payroll.assign(**filled)


def taxpayer_codes(payroll: pd.DataFrame) -> np.ndarray:
    """A code per payroll row of its personal tax code, -1 without one."""
    owner: np.ndarray = pd.factorize(payroll["person_tax_code"])[0]
    return owner


def sibling_links(owner: np.ndarray, chosen: pd.DataFrame) -> pd.DataFrame:
    """Rows to link through a sibling: the taxpayer's matched rows all name one record.

    A row of a taxpayer whose other rows are matched, all to the same insured record, is the
    same person; its own evidence may be too thin (another employer, no ID, no birth date)
    to reach the match band alone. Taxpayers whose rows match different records are left to
    their own evidence.

    Args:
        owner: ``taxpayer_codes`` of the payroll table.
        chosen: the assignment's links: ``payroll_pos``, ``insured_pos``, ``band``.

    Returns:
        ``payroll_pos`` and ``insured_pos`` of each row to link to its siblings' record.
    """
    matched = chosen[chosen["band"] == Band.MATCH.value]
    matched_pos = matched["payroll_pos"].to_numpy()
    record = matched["insured_pos"].to_numpy(dtype=np.int64)
    mine = owner[matched_pos]
    record_count, record_of = _distinct_per_taxpayer(
        mine[mine >= 0], record[mine >= 0], int(owner.max(initial=-1)) + 1
    )
    sibling = (owner >= 0) & (record_count[owner] == 1)
    sibling[matched_pos] = False
    rows = np.flatnonzero(sibling)
    return pd.DataFrame(
        {"payroll_pos": rows.astype(np.int64), "insured_pos": record_of[owner[rows]]}
    )


def record_owners(owner: np.ndarray, chosen: pd.DataFrame, insured_rows: int) -> np.ndarray:
    """Per insured position, the taxpayer code its heaviest match belongs to, else -1.

    An insured record is one person, and a personal tax code is one person: once a record is
    matched to rows of one taxpayer, that taxpayer owns it (``claimed_elsewhere``). Only
    matches of rows with a personal tax code make an owner.

    Args:
        owner: ``taxpayer_codes`` of the payroll table.
        chosen: the assignment's links (``payroll_pos``, ``insured_pos``, ``band``,
            ``match_weight``), of every payroll chunk.
        insured_rows: the number of insured records.
    """
    matched = chosen[chosen["band"] == Band.MATCH.value]
    matched = matched.assign(taxpayer=owner[matched["payroll_pos"].to_numpy()])
    matched = matched[matched["taxpayer"] >= 0].sort_values("match_weight", ascending=False)
    ours = matched["insured_pos"].to_numpy(dtype=np.int64)
    _, heaviest = np.unique(ours, return_index=True)  # each record's first, heaviest match
    record_owner = np.full(insured_rows, -1, np.int64)
    record_owner[ours[heaviest]] = matched["taxpayer"].to_numpy()[heaviest]
    return record_owner


def claimed_elsewhere(
    owner: np.ndarray, record_owner: np.ndarray, contenders: pd.DataFrame
) -> np.ndarray:
    """Mask of contender pairs whose record another taxpayer's match already owns.

    A row carrying another personal tax code than the record's owner (``record_owners``) is
    not that record's person, however close its name and birth year. Rows without a
    personal tax code are never excluded this way.

    Args:
        owner: ``taxpayer_codes`` of the payroll table.
        record_owner: ``record_owners`` of the run's first assignment.
        contenders: the pairs given to the assignment (``payroll_pos``, ``insured_pos``).
    """
    contender_owner = record_owner[contenders["insured_pos"].to_numpy(dtype=np.int64)]
    own = owner[contenders["payroll_pos"].to_numpy()]
    return np.asarray((contender_owner >= 0) & (own >= 0) & (contender_owner != own), dtype=bool)
