"""The ground truth of the rendered payroll rows: what the engine should decide, and link.

Kept apart from the rendering: the truth reads the clean population and each row's
scenario and defect, never the noised text.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from linkage.tools.synth.ids import IntArray, StrArray
from linkage.tools.synth.scenarios import LINKED_SCENARIOS, TRUTH, Population, Scenario


class PayrollRows(NamedTuple):
    """What each written payroll row is, in file order (before exact copies)."""

    record_id: StrArray
    scenario: IntArray
    person: IntArray
    employer: IntArray
    defect: StrArray  # "" or one of sources.DEFECT_KINDS
    month: IntArray


def payroll_truth(
    pop: Population, rows: PayrollRows, compact_employer: StrArray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """truth_candidates, one row per row, and truth_links for the rows that link."""
    scenario = rows.scenario
    disposition = np.array([TRUTH[Scenario(s)][0] for s in range(len(Scenario))], dtype=object)
    reason = np.array([TRUTH[Scenario(s)][1] for s in range(len(Scenario))], dtype=object)
    scenario_name = np.array([Scenario(s).name.lower() for s in range(len(Scenario))], object)
    rejected = rows.defect == "no_identity"
    # Without the income only the legal floor shows an under-declaration, and the floor an
    # unknown (maybe part-time) wage must reach is the reference level, which the scenario's
    # low salaries clear: the data shows no violation.
    unseen = (rows.defect == "invalid_number") & (scenario == Scenario.UNDER_DECLARED)
    row_disposition = np.where(unseen, "insured_ok", disposition[scenario])
    persons = pop.persons
    truth = pd.DataFrame(
        {
            "record_id": rows.record_id.astype(object),
            "person_id": persons["person_id"].to_numpy()[rows.person],
            "employer_tax_code": compact_employer,
            "disposition": np.where(rejected, "rejected", row_disposition),
            "reason": np.where(rejected, rows.defect, np.where(unseen, "", reason[scenario])),
            "scenario": scenario_name[scenario],
            "defect": rows.defect,
        }
    )
    # One outreach entry per worker and employer (the engine's rule): the latest period,
    # then the lowest record_id; the pair's other listed rows (a declaration filed twice, the
    # earlier months of a job) are excluded as duplicate entries.
    listed = np.flatnonzero(truth["disposition"].to_numpy() == "candidate")
    pair = rows.person[listed] * len(pop.businesses) + rows.employer[listed]
    by_pair = np.lexsort((listed, -rows.month[listed], pair))
    later = listed[by_pair][1:][pair[by_pair][1:] == pair[by_pair][:-1]]
    truth.loc[later, ["disposition", "reason"]] = ("excluded", "duplicate_entry")
    insured = pop.insured
    si_of_person = np.full(len(persons), "", dtype=object)
    si_of_person[insured["person"].to_numpy()] = insured["si_code"].to_numpy()
    row_si = si_of_person[rows.person]
    linked = ~rejected & np.isin(scenario, LINKED_SCENARIOS)
    links = pd.DataFrame(
        {"record_id": rows.record_id[linked].astype(object), "si_code": row_si[linked]}
    )
    return truth, links
