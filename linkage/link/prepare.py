"""What linking reads, prepared once a run: tables, comparable columns, exact-ID pairs, plan."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.link.blocking import BlockingPlan, encoded_birth, with_blocking_keys
from linkage.link.blocking_rules import BlockingRule
from linkage.link.comparison_base import Columns, Comparison, comparable
from linkage.link.exact import exact_id_pairs
from linkage.link.taxpayers import share_taxpayer_fields
from linkage.schema import InsuredStatus


@dataclass(frozen=True)
class Prepared:
    """The tables as linking reads them, by position, and what every phase shares."""

    payroll: pd.DataFrame  # reindexed; taxpayers share their agreed fields
    insured: pd.DataFrame  # reindexed
    left: Columns  # the payroll's comparable columns
    right: Columns  # the insured's comparable columns
    exact: pd.DataFrame  # exact-ID pairs, sorted by payroll position
    si_codes: np.ndarray  # insured si_code by position


_LEFT_STATUSES = (InsuredStatus.SUSPENDED.value, InsuredStatus.STOPPED.value)


def _as_compared(frame: pd.DataFrame, wage_column: str) -> pd.DataFrame:
    """The table as the comparisons see it.

    Its side's wage becomes ``declared_wage`` (unknown when it has none); ``record_left``
    is 1 for an insured record suspended or stopped, 0 for another status (unknown on the
    payroll side); birth year and sex are the ``encoded_birth`` ones.
    """
    wage = frame[wage_column] if wage_column in frame.columns else np.nan
    left: Any = np.nan
    if "status" in frame.columns:  # the insured side
        status = frame["status"].astype(object)
        left = np.where(status.isna(), np.nan, status.isin(_LEFT_STATUSES).astype(float))
    return frame.assign(declared_wage=wage, record_left=left, **encoded_birth(frame))


def prepare(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    comparisons: Sequence[Comparison],
    rules: Sequence[BlockingRule],
    settings: LinkConfig,
) -> tuple[Prepared, BlockingPlan]:
    """What linking reads, and the blocking plan, apart: the plan goes once pairs are drawn.

    The exact-ID pairs are sorted by payroll position, as ``comparing.compare_chunk``
    slices them.
    """
    payroll = share_taxpayer_fields(payroll.reset_index(drop=True))
    insured = insured.reset_index(drop=True)
    # Three independent preparations, side by side: each is mostly numpy and Arrow work,
    # which runs without the GIL.
    with ThreadPoolExecutor(2) as threads:
        plan = threads.submit(
            lambda: BlockingPlan(
                with_blocking_keys(payroll),
                with_blocking_keys(insured),
                rules,
                cap=settings.max_records_per_key,
            )
        )
        exact = threads.submit(
            lambda: (
                exact_id_pairs(payroll, insured)
                .sort_values("payroll_pos", kind="stable")
                .reset_index(drop=True)
            )
        )
        left, right = comparable(
            _as_compared(payroll, "monthly_income"),
            _as_compared(insured, "contribution_salary"),
            comparisons,
        )
    prepared = Prepared(
        payroll=payroll,
        insured=insured,
        left=left,
        right=right,
        exact=exact.result(),
        si_codes=insured["si_code"].to_numpy(object),
    )
    return prepared, plan.result()
