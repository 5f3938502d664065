"""Step 15 of ``decide``: the registration deadline and suspected evasion, and what a run told.

Only monthly periods date a hire; an annual return cannot tell a new hire from a
long-serving worker, so neither is assessed for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linkage.eligibility.details import Detail
from linkage.eligibility.jobs import Employment
from linkage.eligibility.parameters import RowParameters
from linkage.schema import CandidateReason, Disposition, ExclusionReason


def registration_window(
    decided: tuple[np.ndarray, np.ndarray, np.ndarray],
    employment: Employment,
    p: RowParameters,
) -> np.ndarray:
    """Exclude, in place, the unregistered rows still within the deadline; flag evasion.

    Registration (Law 41 Art. 28-39; Law 58 Art. 99(1)(a)) is judged at the as-of date: the
    contract began on some day of the first month seen, so the 30-day deadline has surely
    passed only 30 days after that month's last day; before, a new hire is not yet owed.
    One still unregistered past the deadline and the evasion window is graded first.

    Args:
        decided: Disposition, reason and detail per row, changed in place.
        employment: What each row's job tells (``jobs.employment``).
        p: The rule values in force at each row's period.

    Returns:
        Whether each row is suspected evasion (before the duplicate entries are excluded).
    """
    disposition, reason, detail = decided
    since = employment.since_first_month
    unregistered = np.isin(reason, [CandidateReason.UNINSURED.value, CandidateReason.LAPSED.value])
    window = unregistered & employment.exact & (since <= p.registration_days)
    disposition[window] = Disposition.EXCLUDED.value
    reason[window] = ExclusionReason.REGISTRATION_WINDOW.value
    detail[window] = Detail.REGISTRATION_WINDOW.value
    overdue = since > p.registration_days + p.evasion_after_days
    evasion: np.ndarray = unregistered & ~window & overdue
    return evasion


def registration_report(dispositions: pd.DataFrame) -> dict[str, Any]:
    """What the run could tell about registration deadlines and evasion, for the manifest.

    Tenure comes only from monthly periods; with annual returns the engine cannot tell a new
    hire from a long-serving worker, and says so.
    """
    known = dispositions["tenure_days"].notna()
    rows = int(known.sum())
    window = int((dispositions["reason"] == ExclusionReason.REGISTRATION_WINDOW.value).sum())
    evasion = int(dispositions["suspected_evasion"].fillna(value=False).astype(bool).sum())
    if rows == len(dispositions):
        note = "every row has monthly periods: registration window and evasion assessed"
    elif rows:
        note = (
            f"{len(dispositions) - rows:,} rows have annual or unknown periods: no tenure, so "
            "neither the registration window nor evasion is assessed for them"
        )
    else:
        note = (
            "no row has monthly periods: the registration window and evasion are not "
            "assessed, and new hires are listed like other workers"
        )
    return {
        "rows_with_tenure": rows,
        "registration_window": window,
        "suspected_evasion": evasion,
        "note": note,
    }
