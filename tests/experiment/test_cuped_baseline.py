"""The planner's CUPED estimate: customers' revenue in two consecutive weeks, from an imported
Shopify orders export, against numpy's correlation of the same per-customer totals."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from ro_core.experiment.cuped_baseline import customer_revenue_correlation
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics.periods import DateRange
from tests.metrics.conftest import shopify_order, write_shopify_orders

WEEK = DateRange(date(2024, 5, 13), date(2024, 5, 19))


def test_correlation_matches_numpy_on_per_customer_totals(db, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    orders, before, after = [], [], []
    number = 1000
    for customer in range(80):
        totals = []
        for week_start in (WEEK.days_before().start, WEEK.start):
            count = int(rng.integers(0, 3)) if customer % 2 else int(rng.integers(1, 3))
            total = 0.0
            for _ in range(count):
                amount = round(float(rng.gamma(2, 20 + customer)), 2)
                day = week_start + timedelta(days=int(rng.integers(0, 7)))
                orders.append(
                    shopify_order(
                        f"#{number}",
                        f"{day} 12:00:00 +0000",
                        f"{amount:.2f}",
                        email=f"c{customer}@x.com",
                    )
                )
                number += 1
                total += amount
            totals.append(total)
        if totals[0] or totals[1]:
            before.append(totals[0])
            after.append(totals[1])
    # an order outside both weeks does not count
    orders.append(shopify_order("#9999", "2024-04-01 12:00:00 +0000", "500.00", email="c1@x.com"))
    ingest_file(db, write_shopify_orders(tmp_path / "orders_export.csv", orders))
    result = customer_revenue_correlation(db, WEEK)
    assert result.customers == len(before)
    assert result.rho == pytest.approx(np.corrcoef(before, after)[0, 1], rel=1e-6)
    assert result.variance_reduction == pytest.approx(result.rho**2)


def test_too_few_customers_is_a_message(db) -> None:
    result = customer_revenue_correlation(db, WEEK)
    assert result.rho is None and "customers" in (result.message or "")
