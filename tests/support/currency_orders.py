"""Orders shared by the currency and goal tests: a USD store beside a dev store's EUR drafts."""

from __future__ import annotations

from tests.metrics.conftest import shopify_order

# Three USD web orders in May 2025: 100 + 50 + 30 = 180.
USD_MAY = [
    shopify_order("#2001", "2025-05-12 10:00:00 -0400", "100.00"),
    shopify_order("#2002", "2025-05-13 10:00:00 -0400", "50.00"),
    shopify_order("#2003", "2025-05-14 10:00:00 -0400", "30.00"),
]
# Two EUR draft orders of 500 each (a dev store): out of every figure by default.
EUR_DRAFTS = [
    shopify_order(
        f"#D{i}",
        "2025-05-12 09:00:00 -0400",
        "500.00",
        currency="EUR",
        source="shopify_draft_order",
    )  # fmt: skip
    for i in (1, 2)
]
