"""The fields a column mapping may name (per kind, with a line of help each) and the checks of a
mapping: known fields, none mapped twice, the required ones there. ro_core.ingest.formats.mapped
reads a file through a mapping that passed them."""

from __future__ import annotations

from collections.abc import Mapping

from ro_core.errors import ImportFileError
from ro_core.ingest.base import normalise_header_name
from ro_core.store import schema

# --- the fields a user may map to ------------------------------------------------------------
ORDER_FIELDS: tuple[str, ...] = (
    "order_id",
    "order_name",
    "created_at",
    "currency",
    "subtotal",
    "discounts",
    "shipping",
    "tax",
    "total",
    "refunded",
    "financial_status",
    "fulfillment_status",
    "cancelled",
    "source",
    "channel",
    "customer_key",
    "customer_type",
    "country",
    "is_test",
    "discount_code",
    "item_quantity",
)
LINE_FIELDS: tuple[str, ...] = (
    "order_id",
    "line_number",
    "product",
    "sku",
    "vendor",
    "quantity",
    "price",
    "discount",
    "shipping",
)
TRAFFIC_FIELDS: tuple[str, ...] = (
    "period_start",
    "period_end",
    *schema.TRAFFIC_DIMENSIONS,
    *schema.TRAFFIC_MEASURES,
)
MAPPABLE_FIELDS: dict[str, tuple[str, ...]] = {
    schema.KIND_ORDERS: ORDER_FIELDS,
    schema.KIND_ORDER_LINES: LINE_FIELDS,
    schema.KIND_TRAFFIC: TRAFFIC_FIELDS,
}
FIELD_HELP: dict[str, str] = {
    "order_id": "Order id or number; required for orders and order lines.",
    "order_name": "Order name as the store shows it (e.g. #1001).",
    "created_at": "When the order was placed (date or date and time).",
    "currency": "Currency code, e.g. EUR.",
    "subtotal": "Product sales after discounts, before shipping and tax.",
    "discounts": "Order discount amount.",
    "shipping": "Shipping charged (per line in an order-lines file, e.g. Olist freight_value).",
    "tax": "Tax amount.",
    "total": "Order total or payment amount (several payment rows per order are added up).",
    "refunded": "Amount refunded.",
    "financial_status": "Order or payment status (cancelled/failed/voided orders are flagged).",
    "fulfillment_status": "Fulfilment or delivery status.",
    "cancelled": "Cancelled flag (yes/no, true/false).",
    "source": "Sales channel or source as exported.",
    "channel": "Channel (web, pos, app...) or traffic channel group.",
    "customer_key": "Customer email or id (stored only as a hash).",
    "customer_type": "new or returning.",
    "country": "Country (code or name).",
    "is_test": "Test order flag (yes/no).",
    "discount_code": "Discount or coupon code.",
    "item_quantity": "Units in the order.",
    "line_number": "Position of the line within its order.",
    "product": "Product name or id.",
    "sku": "SKU.",
    "vendor": "Vendor, brand or seller.",
    "quantity": "Units on the line.",
    "price": "Unit price.",
    "discount": "Discount on the line.",
    "period_start": "Day (or first day of the week/month) the traffic row covers.",
    "period_end": "Last day the row covers (leave unmapped for daily rows).",
    "referrer": "Referrer or session source (google, facebook...).",
    "first_user_channel": "First-user channel group (GA4 user acquisition).",
    "device": "Device type.",
    "region": "Region or state.",
    "landing_page": "Landing page.",
    "sessions": "Sessions.",
    "visitors": "Visitors or users.",
    "new_visitors": "New visitors or new users.",
    "engaged_sessions": "Engaged sessions.",
    "product_view_sessions": "Sessions that viewed a product.",
    "cart_sessions": "Sessions that added to cart.",
    "checkout_sessions": "Sessions that reached checkout.",
    "converted_sessions": "Sessions that completed checkout.",
    "orders": "Orders or transactions reported by the analytics tool.",
    "revenue": "Revenue reported by the analytics tool.",
    "customers": "Customers.",
}
ALL_FIELDS: frozenset[str] = frozenset(f for fields in MAPPABLE_FIELDS.values() for f in fields)

LINE_ONLY = frozenset(LINE_FIELDS) - frozenset(ORDER_FIELDS)
TRAFFIC_ONLY = frozenset(TRAFFIC_FIELDS) - frozenset(ORDER_FIELDS)
ORDER_ONLY = frozenset(ORDER_FIELDS) - frozenset(LINE_FIELDS) - frozenset(TRAFFIC_FIELDS)
IGNORE_WORDS = ("", "ignore", "-", "none")

KIND_LABELS = {
    schema.KIND_ORDERS: "orders",
    schema.KIND_ORDER_LINES: "order lines",
    schema.KIND_TRAFFIC: "traffic",
}


# --- mapping validation ----------------------------------------------------------------------
def _fields_help() -> str:
    return "; ".join(
        f"{KIND_LABELS[kind]}: {', '.join(fields)}" for kind, fields in MAPPABLE_FIELDS.items()
    )


def clean_mapping(mapping: Mapping[str, str], file_name: str) -> dict[str, str]:
    """The mapping with unmapped entries dropped and field names checked (header -> field)."""
    cleaned: dict[str, str] = {}
    unknown: list[str] = []
    for header, field in mapping.items():
        name = (field or "").strip().lower()
        if name in IGNORE_WORDS:
            continue
        if name not in ALL_FIELDS:
            unknown.append(str(field))
            continue
        cleaned[normalise_header_name(str(header))] = name
    if unknown:
        raise ImportFileError(
            f"unknown field name(s) in the column mapping: {', '.join(unknown)}.",
            file_name=file_name,
            hint=f"Fields you can map to are {_fields_help()}.",
        )
    seen: dict[str, str] = {}
    for header, field in cleaned.items():
        if field in seen:
            raise ImportFileError(
                f"the field '{field}' is mapped twice (columns '{seen[field]}' and '{header}').",
                file_name=file_name,
                hint="Map each field to one column.",
            )
        seen[field] = header
    return cleaned


def kinds_for_fields(fields: set[str] | frozenset[str]) -> tuple[str, ...]:
    """What a mapping makes: traffic, order lines (with orders when order fields are mapped),
    or orders."""
    if fields & TRAFFIC_ONLY:
        return (schema.KIND_TRAFFIC,)
    if fields & LINE_ONLY:
        if fields & ORDER_ONLY:
            return (schema.KIND_ORDERS, schema.KIND_ORDER_LINES)
        return (schema.KIND_ORDER_LINES,)
    return (schema.KIND_ORDERS,)


def check_fields(fields: set[str], file_name: str) -> tuple[str, ...]:
    kinds = kinds_for_fields(fields)
    if schema.KIND_TRAFFIC in kinds:
        stray = sorted(fields & (LINE_ONLY | ORDER_ONLY | {"order_id"}))
        if stray:
            raise ImportFileError(
                f"this mapping mixes traffic fields with order fields ({', '.join(stray)}).",
                file_name=file_name,
                hint="Import traffic and orders from separate files.",
            )
        missing = [] if "period_start" in fields else ["period_start"]
        if not fields & set(schema.TRAFFIC_MEASURES):
            missing.append(f"at least one of {', '.join(schema.TRAFFIC_MEASURES)}")
    else:
        missing = [] if "order_id" in fields else ["order_id"]
    if missing:
        raise ImportFileError(
            f"the column mapping needs {' and '.join(missing)}.",
            file_name=file_name,
            hint=f"Fields you can map to are {_fields_help()}.",
        )
    return kinds
