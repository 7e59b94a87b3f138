"""Table DDL and column-name constants. SQL identifiers come only from here.

Storage model
-------------
Every import writes its rows into a ``*_rows`` table tagged with ``import_id``. The canonical
tables the metrics read (``orders``, ``order_lines``, ``traffic``, ``events``,
``abandoned_checkouts``) are *resolved* from those rows after every import and removal
(see ``ro_core.store.resolve``): the same order, traffic period or event seen in several imports is
counted once, the latest import winning field by field. Removing an import deletes exactly its
rows and resolves again, so nothing is lost or double counted.
"""

from __future__ import annotations

SCHEMA_VERSION = 5

# --- table names -------------------------------------------------------------------------
IMPORTS = "imports"
META = "meta"
SETTINGS = "settings"
COLUMN_MAPPINGS = "column_mappings"
ANNOTATIONS = "annotations"
# The RO loop (migration 2): goals, hypothesis backlog, experiment log. Never touched by imports.
GOALS = "goals"
HYPOTHESES = "hypotheses"
EXPERIMENTS = "experiments"

ORDER_ROWS = "order_rows"
ORDER_LINE_ROWS = "order_line_rows"
TRAFFIC_ROWS = "traffic_rows"
EVENT_ROWS = "event_rows"
ABANDONED_CHECKOUT_ROWS = "abandoned_checkout_rows"

ORDERS = "orders"
ORDER_LINES = "order_lines"
TRAFFIC = "traffic"
EVENTS = "events"
ABANDONED_CHECKOUTS = "abandoned_checkouts"

# What an import can hold. Each kind has a rows table (per import) and a resolved table.
KIND_ORDERS = "orders"
KIND_ORDER_LINES = "order_lines"
KIND_TRAFFIC = "traffic"
KIND_EVENTS = "events"
KIND_ABANDONED_CHECKOUTS = "abandoned_checkouts"

ROWS_TABLE = {
    KIND_ORDERS: ORDER_ROWS,
    KIND_ORDER_LINES: ORDER_LINE_ROWS,
    KIND_TRAFFIC: TRAFFIC_ROWS,
    KIND_EVENTS: EVENT_ROWS,
    KIND_ABANDONED_CHECKOUTS: ABANDONED_CHECKOUT_ROWS,
}
RESOLVED_TABLE = {
    KIND_ORDERS: ORDERS,
    KIND_ORDER_LINES: ORDER_LINES,
    KIND_TRAFFIC: TRAFFIC,
    KIND_EVENTS: EVENTS,
    KIND_ABANDONED_CHECKOUTS: ABANDONED_CHECKOUTS,
}

# --- canonical columns (name, SQL type) ------------------------------------------------------
# Orders: one row per order. Money is DECIMAL so sums are exact to the cent.
ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_id", "VARCHAR NOT NULL"),  # stable id (Shopify Id, Woo order number, mapped id)
    ("order_name", "VARCHAR"),  # what the store shows, e.g. #1001
    ("created_at", "TIMESTAMPTZ"),  # the instant the order was placed
    ("utc_offset_minutes", "INTEGER"),  # the offset as exported, e.g. -240 for -0400
    ("local_date", "DATE"),  # store-local calendar date (from the exported offset)
    ("currency", "VARCHAR"),
    ("subtotal", "DECIMAL(18,2)"),  # product sales after line discounts, before shipping/tax
    ("discounts", "DECIMAL(18,2)"),  # order-level discount amount (positive number)
    ("shipping", "DECIMAL(18,2)"),
    ("tax", "DECIMAL(18,2)"),
    ("total", "DECIMAL(18,2)"),  # order total as exported (with shipping and tax)
    ("refunded", "DECIMAL(18,2)"),  # amount refunded so far (positive number)
    ("financial_status", "VARCHAR"),  # paid, refunded, partially_refunded, voided, pending...
    ("fulfillment_status", "VARCHAR"),
    ("cancelled", "BOOLEAN"),
    ("source", "VARCHAR"),  # raw source as exported (web, shopify_draft_order, 580111...)
    ("channel", "VARCHAR"),  # normalised: web, draft, pos, app, other
    ("customer_key", "VARCHAR"),  # salted hash of the customer's email/id, never the email
    ("customer_type", "VARCHAR"),  # new / returning where the export says so
    ("country", "VARCHAR"),  # shipping country, else billing country
    ("is_test", "BOOLEAN"),  # test or draft order: out of metrics by default
    ("discount_code", "VARCHAR"),
    ("item_quantity", "INTEGER"),  # units across all lines
    ("line_count", "INTEGER"),
)

ORDER_LINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_id", "VARCHAR NOT NULL"),
    ("line_number", "INTEGER NOT NULL"),  # 1-based position within the order in the file
    ("product", "VARCHAR"),
    ("sku", "VARCHAR"),
    ("vendor", "VARCHAR"),
    ("quantity", "INTEGER"),
    ("price", "DECIMAL(18,2)"),  # unit price
    ("discount", "DECIMAL(18,2)"),  # line discount (positive number)
    ("shipping", "DECIMAL(18,2)"),  # per-line freight where the export has it (Olist)
)

# Traffic: aggregates per period (and optionally per segment) from analytics exports.
# Segment columns are NULL when the row is not split by that dimension; `dimensions` lists the
# non-null ones (sorted, comma separated, '' for store totals) so queries pick one breakdown.
TRAFFIC_DIMENSIONS: tuple[str, ...] = (
    "channel",  # referrer source / session channel group (direct, search, social, Email...)
    "referrer",  # referrer name / session source (google, facebook...)
    "first_user_channel",  # GA4 first-user channel group (user acquisition)
    "device",
    "country",
    "region",
    "landing_page",
    "customer_type",  # new / returning
)
TRAFFIC_MEASURES: tuple[str, ...] = (
    "sessions",
    "visitors",
    "new_visitors",
    "engaged_sessions",
    "product_view_sessions",
    "cart_sessions",
    "checkout_sessions",
    "converted_sessions",  # sessions that completed checkout (Shopify's CR numerator)
    "orders",  # transactions / purchases / key events reported by the analytics tool
    "revenue",  # revenue reported by the analytics tool (GA4 Total revenue)
    "customers",  # customers (Shopify new vs returning report)
)
TRAFFIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("traffic_source", "VARCHAR NOT NULL"),  # shopify | ga4 | mapped: never mixed in one sum
    ("grain", "VARCHAR NOT NULL"),  # day | week | month | total
    ("period_start", "DATE NOT NULL"),
    ("period_end", "DATE NOT NULL"),  # inclusive
    ("dimensions", "VARCHAR NOT NULL"),
    *((name, "VARCHAR") for name in TRAFFIC_DIMENSIONS),
    *((name, "DOUBLE") for name in TRAFFIC_MEASURES),
)

# Events: one row per event from event-level exports.
EVENT_TYPES = ("view", "cart", "remove_from_cart", "checkout", "purchase", "other")
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_time", "TIMESTAMPTZ NOT NULL"),
    ("local_date", "DATE NOT NULL"),
    ("session_id", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("event_type", "VARCHAR NOT NULL"),  # one of EVENT_TYPES
    ("event_name", "VARCHAR"),  # as exported (view_item, add_to_cart...)
    ("product_id", "VARCHAR"),
    ("price", "DECIMAL(18,2)"),
    ("revenue", "DECIMAL(18,2)"),  # purchase events only
    ("order_id", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("device", "VARCHAR"),
    ("country", "VARCHAR"),
)
# Two events with the same values here are the same event seen in two overlapping exports, or
# several identical events (REES46 logs hold them): see resolve for how many are kept.
EVENT_IDENTITY = ("event_time", "session_id", "user_id", "event_type", "product_id", "order_id")

ABANDONED_CHECKOUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("checkout_id", "VARCHAR NOT NULL"),
    ("created_at", "TIMESTAMPTZ"),
    ("utc_offset_minutes", "INTEGER"),
    ("local_date", "DATE"),
    ("currency", "VARCHAR"),
    ("subtotal", "DECIMAL(18,2)"),
    ("total", "DECIMAL(18,2)"),
    ("customer_key", "VARCHAR"),
    ("country", "VARCHAR"),
    ("recovered", "BOOLEAN"),
    ("item_quantity", "INTEGER"),
)

COLUMNS = {
    KIND_ORDERS: ORDER_COLUMNS,
    KIND_ORDER_LINES: ORDER_LINE_COLUMNS,
    KIND_TRAFFIC: TRAFFIC_COLUMNS,
    KIND_EVENTS: EVENT_COLUMNS,
    KIND_ABANDONED_CHECKOUTS: ABANDONED_CHECKOUT_COLUMNS,
}

# Keys that identify "the same thing" across imports (resolution keys).
RESOLUTION_KEY = {
    KIND_ORDERS: ("order_id",),
    KIND_ORDER_LINES: ("order_id",),  # an order's lines come whole from its newest import
    # Day, week and month rows whose periods overlap are one period (an export cut at a year's
    # end holds part of a week that a later export holds whole): see resolve.TRAFFIC_SERIES.
    KIND_TRAFFIC: ("traffic_source", "grain", "period_start", "period_end", *TRAFFIC_DIMENSIONS),
    KIND_EVENTS: EVENT_IDENTITY,
    KIND_ABANDONED_CHECKOUTS: ("checkout_id",),
}


def column_names(kind: str) -> list[str]:
    """Canonical column names of a kind, in table order."""
    return [name for name, _ in COLUMNS[kind]]


def _columns_ddl(columns: tuple[tuple[str, str], ...]) -> str:
    return ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)


def _rows_table_ddl(kind: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {ROWS_TABLE[kind]} (\n"
        f"    import_id INTEGER NOT NULL,\n    {_columns_ddl(COLUMNS[kind])}\n)"
    )


def _resolved_table_ddl(kind: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {RESOLVED_TABLE[kind]} (\n"
        f"    import_id INTEGER NOT NULL,\n    {_columns_ddl(COLUMNS[kind])}\n)"
    )


_V1: list[str] = [
    f"""CREATE TABLE IF NOT EXISTS {META} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SETTINGS} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    "CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {IMPORTS} (
    import_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_size BIGINT NOT NULL,
    format VARCHAR NOT NULL,
    kinds VARCHAR NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    first_date DATE,
    last_date DATE,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    report_json VARCHAR NOT NULL
)""",
    f"""CREATE TABLE IF NOT EXISTS {COLUMN_MAPPINGS} (
    header_signature VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    mapping_json VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)""",
    "CREATE SEQUENCE IF NOT EXISTS annotation_id_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {ANNOTATIONS} (
    annotation_id INTEGER PRIMARY KEY DEFAULT nextval('annotation_id_seq'),
    start_date DATE NOT NULL,
    end_date DATE,
    text VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)""",
    *(_rows_table_ddl(kind) for kind in ROWS_TABLE),
    *(_resolved_table_ddl(kind) for kind in RESOLVED_TABLE),
]

# --- migration 2: the RO loop (goals, hypotheses, experiments; see ro_core.loop) --------------
# Written only by ro_core.loop; imports and their removal never touch these tables.
_V2: list[str] = [
    "CREATE SEQUENCE IF NOT EXISTS goal_id_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {GOALS} (
    goal_id INTEGER PRIMARY KEY DEFAULT nextval('goal_id_seq'),
    metric VARCHAR NOT NULL,
    period_kind VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    target DOUBLE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    UNIQUE (metric, period_kind, period_start)
)""",
    "CREATE SEQUENCE IF NOT EXISTS hypothesis_id_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {HYPOTHESES} (
    hypothesis_id INTEGER PRIMARY KEY DEFAULT nextval('hypothesis_id_seq'),
    title VARCHAR NOT NULL,
    location VARCHAR NOT NULL DEFAULT '',
    segment VARCHAR NOT NULL DEFAULT '',
    observation VARCHAR NOT NULL DEFAULT '',
    source VARCHAR NOT NULL DEFAULT '',
    source_key VARCHAR,
    source_detail VARCHAR,
    proposed_change VARCHAR NOT NULL DEFAULT '',
    metric VARCHAR NOT NULL,
    expected_lift DOUBLE,
    scoring VARCHAR,
    impact SMALLINT,
    confidence SMALLINT,
    potential SMALLINT,
    importance SMALLINT,
    ease SMALLINT,
    status VARCHAR NOT NULL DEFAULT 'idea',
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    status_changed_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)""",
    "CREATE SEQUENCE IF NOT EXISTS experiment_id_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {EXPERIMENTS} (
    experiment_id INTEGER PRIMARY KEY DEFAULT nextval('experiment_id_seq'),
    hypothesis_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'planned',
    primary_metric VARCHAR NOT NULL,
    plan_json VARCHAR NOT NULL DEFAULT '{{}}',
    expected_days INTEGER,
    planned_start DATE,
    start_date DATE,
    end_date DATE,
    annotation_id INTEGER,
    result_json VARCHAR,
    outcome VARCHAR,
    verdict VARCHAR,
    relative_lift DOUBLE,
    monthly_revenue_impact DOUBLE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)""",
]

# --- migration 3: a goal carries its currency (the store currency when it was set; NULL for goals
# set before: they take the store currency, see ro_core.loop.goals) ---------------------------
_V3: list[str] = [
    f"ALTER TABLE {GOALS} ADD COLUMN IF NOT EXISTS currency VARCHAR",
]

# --- migration 4: each import records the time span of its own content (orders: the latest
# created/paid/fulfilled/cancelled time in the file; traffic: its periods; events: first and
# last event). Overlapping imports resolve by that recency, not by the order they were imported
# (see ro_core.store.resolve); events use the span to tell a cut log from an overlapping one.
# NULL (imports made before, or files without times) ranks oldest. --------------------------
_V4: list[str] = [
    f"ALTER TABLE {IMPORTS} ADD COLUMN IF NOT EXISTS content_first TIMESTAMPTZ",
    f"ALTER TABLE {IMPORTS} ADD COLUMN IF NOT EXISTS content_last TIMESTAMPTZ",
]

# --- migration 5: text unique to (almost) every row is stored without compression. DuckDB's
# dictionary and FSST compression of an order's id, name and customer key cost about 70% of
# writing those columns (0.25 s of a 1M-order import) and slow a count of distinct customers
# (22 against 13 ms at 1M orders), for a store file a third smaller (53 against 80 MB at 1M
# orders with their lines). DuckDB sets a column's compression when its table is created:
# the orders tables are rebuilt. --------------------------------------------------------------
UNCOMPRESSED_COLUMNS: dict[str, frozenset[str]] = {
    KIND_ORDERS: frozenset({"order_id", "order_name", "customer_key"}),
}


def _rebuilt_without_compression(table: str, kind: str) -> list[str]:
    """Statements that rebuild `table` (a kind's rows or resolved table, rows kept) with the
    kind's UNCOMPRESSED_COLUMNS stored uncompressed."""
    uncompressed = UNCOMPRESSED_COLUMNS[kind]
    columns = ",\n    ".join(
        f"{name} {sql_type}" + (" USING COMPRESSION uncompressed" if name in uncompressed else "")
        for name, sql_type in COLUMNS[kind]
    )
    return [
        f"CREATE TABLE {table}_rebuilt (\n    import_id INTEGER NOT NULL,\n    {columns}\n)",
        f"INSERT INTO {table}_rebuilt BY NAME SELECT * FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_rebuilt RENAME TO {table}",
    ]


_V5: list[str] = [
    statement
    for kind in UNCOMPRESSED_COLUMNS
    for table in (ROWS_TABLE[kind], RESOLVED_TABLE[kind])
    for statement in _rebuilt_without_compression(table, kind)
]

# MIGRATIONS[v] brings a database from version v-1 to v. Append, never edit a released step.
MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5}
