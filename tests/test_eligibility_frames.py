"""The frame builders shared by the eligibility and writer tests conform to the contracts."""

from __future__ import annotations

from linkage import schema
from tests.helpers import businesses, payroll


def test_builders_conform() -> None:
    assert list(payroll({}).columns[: len(schema.PAYROLL.names)]) == schema.PAYROLL.names
    assert len(businesses()) == 3
