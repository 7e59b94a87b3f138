"""JSON output shared by every `ro` command: strict JSON, never NaN or infinity."""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Recursively turn results into JSON-safe values (NaN/inf -> null, dates -> ISO text)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    # pandas values exist only when pandas was imported: `ro ingest` never loads it
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            return to_jsonable(value.to_dict(orient="records"))
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        if value is pd.NA or value is pd.NaT:
            return None
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def print_json(data: Any) -> None:
    """Print data as indented JSON with non-finite numbers as null."""
    print(json.dumps(to_jsonable(data), indent=2, allow_nan=False))
