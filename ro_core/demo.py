"""The demo store: a deterministic generator of realistic exports, and loading them as demo data.

The demo store (Northwind Roasters, a US coffee roaster selling beans, brewing gear and mugs
online, through an app channel and in its Brooklyn shop; time zone America/New_York, USD)
exports what a real store would upload:

- ``shopify_orders_export.csv``: the 79-column Shopify orders export, one row per line item,
  order-level fields only on an order's first row, ``Created at`` with the offset of the day
  (-0500 in winter, -0400 in summer). Money follows Shopify: ``Subtotal`` is the line items
  after the order's discount (sum of price x quantity minus ``Discount Amount``) and
  ``Total = Subtotal + Shipping + Taxes``.
- ``shopify_sessions_over_time.csv``, ``shopify_customer_behavior.csv``,
  ``shopify_sessions_by_device.csv``, ``shopify_sessions_by_referrer.csv``: Shopify Analytics
  exports at day grain that agree with the orders: "Sessions that completed checkout" on a day
  equals the web orders created that (store-local) day, and every breakdown sums to the store
  totals.
- ``events.csv``: event-level data in the public REES46 layout for the last 30 days: one
  session per analytics session, one purchase event per line of each web order at the order's
  own time, and some "Buy Now" purchases that have no cart event.

Everything comes from one seeded ``numpy`` generator: the same arguments write the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.store.db import SAMPLE_DIR

if TYPE_CHECKING:
    from ro_core.ingest.pipeline import ImportReport
    from ro_core.store.db import Database

STORE_TIME_ZONE = "America/New_York"
END_DATE = date(2025, 10, 31)  # the demo year ends here: ranges follow the data, not today
DAYS = 365
EVENT_DAYS = 30
DEFAULT_SEED = 7
EXPECTED_ORDERS_PER_YEAR = 9_800

ORDERS_FILE = "shopify_orders_export.csv"
SESSIONS_FILE = "shopify_sessions_over_time.csv"
BEHAVIOR_FILE = "shopify_customer_behavior.csv"
DEVICE_FILE = "shopify_sessions_by_device.csv"
REFERRER_FILE = "shopify_sessions_by_referrer.csv"
LANDING_FILE = "shopify_sessions_by_landing_page.csv"
EVENTS_FILE = "events.csv"
# Import order: orders, store totals, breakdowns, events.
DEMO_FILE_NAMES: tuple[str, ...] = (
    ORDERS_FILE,
    SESSIONS_FILE,
    BEHAVIOR_FILE,
    DEVICE_FILE,
    REFERRER_FILE,
    LANDING_FILE,
    EVENTS_FILE,
)

# The header of Shopify's orders export, exactly as Shopify writes it (79 columns).
SHOPIFY_ORDERS_HEADER: tuple[str, ...] = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
)  # fmt: skip
SESSIONS_HEADER = ("Day", "Online store visitors", "Sessions")
BEHAVIOR_HEADER = (
    "Day",
    "Sessions with cart additions",
    "Sessions that reached checkout",
    "Sessions that completed checkout",
)
# Breakdowns carry the checkout steps too (Shopify reports can add these metrics), so CR by
# device and by referrer can be computed, not only sessions.
DEVICE_HEADER = (
    "Day",
    "Session device type",
    "Online store visitors",
    "Sessions",
    *BEHAVIOR_HEADER[1:],
)
REFERRER_HEADER = (
    "Day",
    "Referrer source",
    "Referrer name",
    "Online store visitors",
    "Sessions",
    *BEHAVIOR_HEADER[1:],
)
# Shopify's "Sessions by landing page" report with its bounce rate (a fraction, like Shopify's
# other rate columns) and the checkout steps.
LANDING_HEADER = (
    "Day",
    "Landing page type",
    "Landing page path",
    "Sessions",
    "Bounce rate",
    *BEHAVIOR_HEADER[1:],
)
EVENTS_HEADER = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)

SOURCE_WEB = "web"
SOURCE_POS = "pos"
SOURCE_APP = "580111"  # a sales-channel app, exported by its numeric app id
SOURCE_DRAFT = "shopify_draft_order"
SOURCES = (SOURCE_WEB, SOURCE_APP, SOURCE_POS, SOURCE_DRAFT)


# --- the store ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Product:
    title: str
    sku: str
    vendor: str
    price: int  # cents
    compare_at: int | None  # cents
    category_code: str
    popularity: float

    @property
    def is_gift_card(self) -> bool:
        return self.title.startswith("Gift Card")


_CATEGORIES = {  # REES46-style category codes
    "beans": "kitchen.coffee.beans",
    "dripper": "appliances.kitchen.coffee_dripper",
    "carafe": "kitchen.tableware.carafe",
    "filters": "kitchen.coffee.filters",
    "kettle": "appliances.kitchen.kettle",
    "grinder": "appliances.kitchen.coffee_grinder",
    "scale": "appliances.kitchen.scale",
    "press": "appliances.kitchen.coffee_press",
    "barista": "kitchen.coffee.accessories",
    "mug": "kitchen.tableware.mug",
    "glass": "kitchen.tableware.glass",
    "tumbler": "kitchen.tableware.tumbler",
    "cup": "kitchen.tableware.cup",
    "bag": "accessories.bag",
    "cap": "apparel.cap",
    "book": "stationery.book",
    "cleaning": "kitchen.coffee.cleaning",
    "-": "",
}


# title | sku | vendor | price | compare-at price | category (see _CATEGORIES) | popularity
_CATALOG_TABLE = """
Ethiopia Yirgacheffe - 12 oz   | NR-ETH-12   | Northwind Roasters | 18.50  |        | beans    | 9
Colombia Huila - 12 oz         | NR-COL-12   | Northwind Roasters | 16.00  |        | beans    | 10
House Espresso Blend - 12 oz   | NR-ESP-12   | Northwind Roasters | 15.50  |        | beans    | 12
House Espresso Blend - 2 lb    | NR-ESP-32   | Northwind Roasters | 38.00  |        | beans    | 5
Decaf Swiss Water - 12 oz      | NR-DEC-12   | Northwind Roasters | 17.00  |        | beans    | 3.5
Kenya AA - 12 oz               | NR-KEN-12   | Northwind Roasters | 21.00  |        | beans    | 4
Guatemala Antigua - 12 oz      | NR-GUA-12   | Northwind Roasters | 16.50  |        | beans    | 4.5
Sumatra Mandheling - 12 oz     | NR-SUM-12   | Northwind Roasters | 17.50  |        | beans    | 3.5
Seasonal Single Origin - 12 oz | NR-SSO-12   | Northwind Roasters | 19.50  |        | beans    | 4
Cold Brew Blend - 2 lb         | NR-CB-32    | Northwind Roasters | 34.00  |        | beans    | 2.5
Sampler Pack - 4 x 4 oz        | NR-SMP-4    | Northwind Roasters | 29.00  | 34.00  | beans    | 4
Pour-Over Dripper - Ceramic    | PF-DRIP-C   | Pourform           | 28.00  |        | dripper  | 2.5
Glass Carafe - 600 ml          | PF-CAR-600  | Pourform           | 32.00  |        | carafe   | 1.5
Paper Filters - 100 pack       | PF-FIL-100  | Pourform           | 7.50   |        | filters  | 4
Gooseneck Kettle - Stovetop    | KW-GK-S     | Kettleworks        | 45.00  |        | kettle   | 1.5
Electric Gooseneck Kettle      | KW-GK-E     | Kettleworks        | 149.00 | 169.00 | kettle   | 1.2
Burr Grinder - Manual          | GL-BG-M     | GrindLab           | 65.00  |        | grinder  | 1.4
Burr Grinder - Electric        | GL-BG-E     | GrindLab           | 189.00 | 219.00 | grinder  | 0.9
Digital Scale with Timer       | GL-SCALE    | GrindLab           | 42.00  |        | scale    | 1.3
French Press - 1 L             | PF-FP-1L    | Pourform           | 39.00  |        | press    | 1.6
Cold Brew Maker                | PF-CBM      | Pourform           | 36.00  |        | press    | 1
Travel Press Brewer            | PF-TPB      | Pourform           | 34.00  |        | press    | 1.2
Espresso Tamper - 58 mm        | GL-TAMP-58  | GrindLab           | 29.00  |        | barista  | 0.8
Milk Frothing Pitcher          | KW-PITCH    | Kettleworks        | 19.00  |        | barista  | 1
Stoneware Mug - Speckled       | SC-MUG-SPK  | Stoneware Co.      | 24.00  |        | mug      | 3
Stoneware Mug - Midnight       | SC-MUG-MID  | Stoneware Co.      | 24.00  |        | mug      | 2.5
Double-Wall Glass - Set of 2   | SC-DWG-2    | Stoneware Co.      | 26.00  |        | glass    | 1.5
Insulated Tumbler - 16 oz      | SC-TUMB-16  | Stoneware Co.      | 32.00  |        | tumbler  | 1.8
Espresso Cups - Set of 4       | SC-ESP-4    | Stoneware Co.      | 36.00  |        | cup      | 0.8
Canvas Tote                    | NG-TOTE     | Northwind Goods    | 18.00  |        | bag      | 0.8
Roaster Cap                    | NG-CAP      | Northwind Goods    | 26.00  |        | cap      | 0.6
Brew Guide Book                | NG-BOOK     | Northwind Goods    | 22.00  |        | book     | 0.5
Descaling Solution             | KW-DESC     | Kettleworks        | 12.00  |        | cleaning | 1
Cleaning Tablets - 50 ct       | GL-CLEAN-50 | GrindLab           | 14.00  |        | cleaning | 0.9
Gift Card - $25                |             | Northwind Roasters | 25.00  |        | -        | 0.6
Gift Card - $50                |             | Northwind Roasters | 50.00  |        | -        | 0.5
Gift Card - $100               |             | Northwind Roasters | 100.00 |        | -        | 0.2
"""


def _cents(text: str) -> int:
    units, _, hundredths = text.strip().partition(".")
    return int(units) * 100 + int((hundredths + "00")[:2])


def _parse_catalog(table: str) -> tuple[_Product, ...]:
    products = []
    for line in table.strip().splitlines():
        title, sku, vendor, price, compare_at, category, popularity = (
            cell.strip() for cell in line.split("|")
        )
        products.append(
            _Product(
                title=title,
                sku=sku,
                vendor=vendor,
                price=_cents(price),
                compare_at=_cents(compare_at) if compare_at else None,
                category_code=_CATEGORIES[category],
                popularity=float(popularity),
            )
        )
    return tuple(products)


_CATALOG = _parse_catalog(_CATALOG_TABLE)
_FIRST_PRODUCT_ID = 5_100_023  # REES46-style integer ids for the event export
_FIRST_CATEGORY_ID = 2_232_732_079_706_079_299


@dataclass(frozen=True)
class _Region:
    country: str  # ISO code, as Shopify exports it
    weight: float  # share of customers
    province: str  # code; empty where Shopify leaves it empty
    province_name: str
    city: str
    zip_code: str
    taxes: tuple[tuple[str, float], ...]  # (tax line name, rate)
    shipping: int  # standard shipping, cents
    free_shipping_from: int | None  # subtotal (cents) from which standard shipping is free


# country | weight | province | province name | city | zip | taxes | shipping | free from
_REGION_TABLE = """
US | 18  | NY  | New York         | Brooklyn  | 11211   | NY State Tax 4, NYC Tax 4.875 | 6.95 | 75
US | 16  | CA  | California       | Oakland   | 94607   | CA State Tax 7.25     | 6.95  | 75
US | 10  | TX  | Texas            | Austin    | 78704   | TX State Tax 6.25     | 6.95  | 75
US | 8   | FL  | Florida          | Tampa     | 33602   | FL State Tax 6        | 6.95  | 75
US | 7   | IL  | Illinois         | Chicago   | 60614   | IL State Tax 6.25     | 6.95  | 75
US | 7   | WA  | Washington       | Seattle   | 98103   | WA State Tax 6.5      | 6.95  | 75
US | 6   | MA  | Massachusetts    | Cambridge | 02139   | MA State Tax 6.25     | 6.95  | 75
US | 5   | CO  | Colorado         | Denver    | 80205   | CO State Tax 2.9      | 6.95  | 75
CA | 4   | ON  | Ontario          | Toronto   | M5V 2T6 | HST 13                | 14.95 |
CA | 3   | BC  | British Columbia | Vancouver | V6B 1A1 | GST 5, PST 7          | 14.95 |
GB | 6   |     |                  | London    | E2 7DG  | GB VAT 20             | 19.95 |
DE | 3   |     |                  | Berlin    | 10115   | DE MWST 19            | 19.95 |
AU | 3   | NSW | New South Wales  | Sydney    | 2010    | AU GST 10             | 24.95 |
FR | 1.5 |     |                  | Lyon      | 69002   | FR TVA 20             | 19.95 |
NL | 1.5 |     |                  | Amsterdam | 1012 AB | NL BTW 21             | 19.95 |
"""


def _parse_regions(table: str) -> tuple[_Region, ...]:
    regions = []
    for line in table.strip().splitlines():
        country, weight, province, name, city, zip_code, taxes, shipping, free_from = (
            cell.strip() for cell in line.split("|")
        )
        tax_lines = []
        for tax in taxes.split(","):
            label, _, rate = tax.strip().rpartition(" ")
            tax_lines.append((label, float(rate) / 100))
        regions.append(
            _Region(
                country=country,
                weight=float(weight),
                province=province,
                province_name=name,
                city=city,
                zip_code=zip_code,
                taxes=tuple(tax_lines),
                shipping=_cents(shipping),
                free_shipping_from=_cents(free_from) if free_from else None,
            )
        )
    return tuple(regions)


_REGIONS = _parse_regions(_REGION_TABLE)
_STORE_REGION = 0  # the shop (POS sales) is in Brooklyn
_EXPRESS_SHIPPING = 1495
_INTERNATIONAL_EXPRESS_EXTRA = 1500

_FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Mia", "Lucas",
    "Amelia", "Mateo", "Harper", "Ethan", "Aria", "Leo", "Chloe", "Henry", "Nora", "Kai",
    "Priya", "Wei", "Fatima", "Diego", "Yuki", "Omar", "Ingrid", "Tomasz", "Aisha", "Lena",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Rodriguez", "Martinez", "Lee",
    "Walker", "Hall", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Adams", "Baker",
    "Nguyen", "Patel", "Kim", "Chen", "Schmidt", "Dubois", "Jansen", "Kowalski", "Okafor",
)  # fmt: skip
_STREETS = ("Main St", "Oak Ave", "Park Rd", "Maple Dr", "Cedar Ln", "Elm St", "High St", "Lake Rd")

_WELCOME = ("WELCOME10", 0.10)  # first orders
_SAVE = ("SAVE15", 0.15)  # newsletter code, any time
_SUMMER = ("SUMMER20", 0.20)  # July and August
_BFCM = ("BFCM25", 0.25)  # Black Friday to Cyber Monday
_HOLIDAY = ("HOLIDAY15", 0.15)  # December before Christmas

# Hour-of-day weights (store-local) for online orders, shop (POS) sales and wholesale drafts.
_WEB_HOURS = np.array(
    [2.0, 1.2, 0.7, 0.5, 0.4, 0.5, 1.0, 2.0, 3.2, 4.0, 4.5, 4.8,
     5.2, 5.0, 4.6, 4.4, 4.4, 4.8, 5.4, 6.2, 6.8, 6.6, 5.2, 3.4]
)  # fmt: skip
_POS_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 2.0, 4.0, 5.0, 4.0, 3.5, 3.5, 3.0, 2.5, 2.5, 3.0, 2.5, 1.0, 0, 0, 0, 0, 0]
)  # fmt: skip
_DRAFT_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 3.0, 4.0, 4.0, 2.0, 3.0, 4.0, 4.0, 3.0, 1.0, 0, 0, 0, 0, 0, 0]
)  # fmt: skip
_WEEKDAY_FACTOR = np.array([0.92, 0.93, 0.95, 0.98, 1.04, 1.20, 1.16])  # Monday first: weekends
# Mid-month seasonality, January first: summer dip, holiday peak.
_MONTH_FACTOR = np.array([0.86, 0.88, 0.95, 1.0, 1.0, 0.9, 0.82, 0.85, 0.97, 1.0, 1.12, 1.38])
_SOURCE_SHARE = {SOURCE_WEB: 0.86, SOURCE_APP: 0.055, SOURCE_POS: 0.055, SOURCE_DRAFT: 0.03}
_BASE_CONVERSION = 0.024
_MAX_LINES = 6

# (Shopify device type, share of sessions, relative conversion)
_DEVICES: tuple[tuple[str, float, float], ...] = (
    ("Mobile", 0.58, 0.72),
    ("Desktop", 0.35, 1.55),
    ("Tablet", 0.07, 1.0),
)
# (Referrer source, Referrer name, share of sessions, relative conversion)
_REFERRERS: tuple[tuple[str, str | None, float, float], ...] = (
    ("direct", None, 0.33, 1.35),
    ("search", "google", 0.22, 1.25),
    ("search", "bing", 0.02, 1.2),
    ("search", "duckduckgo", 0.01, 1.2),
    ("social", "facebook", 0.13, 0.55),
    ("social", "instagram", 0.11, 0.6),
    ("social", "tiktok", 0.04, 0.35),
    ("social", "pinterest", 0.02, 0.5),
    ("email", "gmail", 0.04, 2.6),
    ("paid", "google", 0.05, 1.0),
    ("unknown", None, 0.03, 0.6),
)

# (Landing page type, path, share of sessions, relative conversion, bounce rate). Home and
# collections convert near the store's rate; product pages reached from ads and search convert
# best but bounce more; blog posts bring readers who bounce and rarely buy. The Cold Brew Maker's
# page converts at half its peers' rate: a page worth fixing.
_LANDING_PAGES: tuple[tuple[str, str, float, float, float], ...] = (
    ("Homepage", "/", 0.29, 1.0, 0.36),
    ("Collection", "/collections/coffee", 0.09, 1.25, 0.31),
    ("Collection", "/collections/brewing-equipment", 0.05, 1.0, 0.38),
    ("Collection", "/collections/sale", 0.03, 1.5, 0.29),
    ("Product", "/products/house-espresso-blend-12-oz", 0.07, 1.45, 0.42),
    ("Product", "/products/colombia-huila-12-oz", 0.05, 1.4, 0.43),
    ("Product", "/products/ethiopia-yirgacheffe-12-oz", 0.05, 1.35, 0.44),
    ("Product", "/products/sampler-pack-4-x-4-oz", 0.04, 1.5, 0.40),
    ("Product", "/products/burr-grinder-electric", 0.04, 0.9, 0.47),
    ("Product", "/products/cold-brew-maker", 0.04, 0.65, 0.55),
    ("Product", "/products/gooseneck-kettle-stovetop", 0.03, 1.2, 0.45),
    ("Product", "/products/stoneware-mug-speckled", 0.03, 1.15, 0.46),
    ("Blog post", "/blogs/brew-guides/pour-over-basics", 0.08, 0.22, 0.71),
    ("Blog post", "/blogs/brew-guides/cold-brew-at-home", 0.05, 0.25, 0.69),
    ("Page", "/pages/wholesale", 0.02, 0.1, 0.58),
    ("Page", "/pages/our-story", 0.02, 0.3, 0.62),
    ("Search", "/search", 0.02, 1.6, 0.25),
)
_LANDING_STREAM = 13  # the landing-page report draws from its own random stream


# --- calendar -------------------------------------------------------------------------------
def _black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _event_factors(day: date) -> tuple[float, float]:
    """(order volume, conversion) multipliers for the shopping events of a day."""
    offset = (day - _black_friday(day.year)).days
    if offset == -1:  # Thanksgiving
        return 0.95, 1.05
    if offset == 0:  # Black Friday
        return 3.2, 1.75
    if offset in (1, 2):
        return 2.0, 1.45
    if offset == 3:  # Cyber Monday
        return 2.6, 1.6
    if -8 <= offset <= -2 or 4 <= offset <= 6:
        return 1.3, 1.15
    if day.month == 12 and 24 <= day.day <= 26:
        return 0.55, 0.85
    if day.month == 12 and day.day <= 20:
        return 1.05, 1.12
    return 1.0, 1.0


def _season(day: date) -> float:
    """Month seasonality interpolated between mid-month anchors (no jumps at month ends)."""
    position = day.month - 1 + (day.day - 15) / 30.0
    low = math.floor(position)
    frac = position - low
    return float(_MONTH_FACTOR[low % 12] * (1 - frac) + _MONTH_FACTOR[(low + 1) % 12] * frac)


def _daily_demand(days: Sequence[date], growth_start: date) -> tuple[np.ndarray, np.ndarray]:
    """Relative order volume and conversion multiplier per day."""
    volume = np.empty(len(days))
    conversion = np.empty(len(days))
    for i, day in enumerate(days):
        growth = 1.0 + 0.3 * (day - growth_start).days / DAYS  # slow growth, +30% a year
        event_volume, event_cr = _event_factors(day)
        volume[i] = growth * _WEEKDAY_FACTOR[day.weekday()] * _season(day) * event_volume
        weekend_cr = 1.04 if day.weekday() >= 5 else 1.0
        summer_cr = 0.92 if day.month in (6, 7, 8) else 1.0
        conversion[i] = event_cr * weekend_cr * summer_cr
    return volume, conversion


# --- small helpers ------------------------------------------------------------------------
def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _shopify_time(moment: datetime) -> str:
    """'2025-01-15 14:03:09 -0500': store-local time with its offset."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def _local(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """A store-local time; a wall time skipped by daylight saving moves to the valid one."""
    naive = datetime.combine(day, time()) + timedelta(seconds=int(seconds))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _local_to_epoch(day: date, seconds: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """UTC epoch seconds of store-local seconds-of-day (vectorised off DST-change days)."""
    start = _local(day, 0, tz).utcoffset()
    end = _local(day, 86_399, tz).utcoffset()
    if start == end and start is not None:
        midnight = (day - date(1970, 1, 1)).days * 86_400
        return midnight + seconds.astype(np.int64) - int(start.total_seconds())
    return np.array([int(_local(day, int(s), tz).timestamp()) for s in seconds], dtype=np.int64)


_QUOTED_EMPTY = object()  # Shopify writes some empty cells as "" and others as nothing


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if value is _QUOTED_EMPTY:
        return '""'
    text = value if isinstance(value, str) else str(value)
    if "," in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _analytics_cell(value: object) -> str:
    """Shopify Analytics style: text quoted, numbers bare, missing values empty."""
    if value is None:
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return '"' + str(value).replace('"', '""') + '"'


def _write_text(path: Path, lines: Sequence[str]) -> None:
    """Write LF-terminated lines atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines))
        fh.write("\n")
    tmp.replace(path)


def _tokens(rng: np.random.Generator, count: int, length: int) -> list[str]:
    """Random payment-reference-like tokens (letters and digits)."""
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    chars = np.ascontiguousarray(alphabet[rng.integers(0, len(alphabet), size=(count, length))])
    return [str(t) for t in chars.view(f"<U{length}").ravel()] if count else []


def _split(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split a count into parts with a multinomial draw (the parts sum exactly to total)."""
    return rng.multinomial(int(total), weights / weights.sum())


# --- orders -----------------------------------------------------------------------------------
@dataclass
class _Customer:
    email: str
    first: str
    last: str
    region: int
    street: str
    accepts_marketing: bool
    orders: int = 0


@dataclass
class _Order:
    name: str
    order_id: int
    created: datetime  # aware, store time zone
    source: str
    customer: int | None  # index into the customers; None for a walk-in shop sale
    region: int
    lines: list[tuple[int, int]]  # (product index, quantity)
    discount_code: str
    discount_rate: float
    express: bool
    financial_status: str = "paid"
    cancelled_at: datetime | None = None
    refunded: int = 0  # cents
    discount: int = 0
    subtotal: int = 0  # after the discount, before shipping and tax
    shipping: int = 0
    tax_lines: tuple[tuple[str, float, int], ...] = ()  # (name, rate, cents)
    total: int = 0

    @property
    def ships(self) -> bool:
        return any(not _CATALOG[p].is_gift_card for p, _ in self.lines)


@dataclass
class _Demo:
    days: list[date]
    orders: list[_Order]
    customers: list[_Customer]
    web_orders_per_day: np.ndarray  # completed checkouts of the online store
    conversion: np.ndarray  # relative conversion per day


def _order_times(
    rng: np.random.Generator, days: list[date], volume: np.ndarray, per_unit: float
) -> list[tuple[int, int, str]]:
    """(day index, second of day, source) of every order, in time order."""
    weekdays = np.array([d.weekday() for d in days])
    expected = volume * per_unit * rng.lognormal(0.0, 0.08, size=len(days))
    shop_open = (weekdays < 6) * 7 / 6  # the shop is closed on Sundays
    office_open = (weekdays < 5) * 7 / 5  # wholesale drafts on weekdays
    counts = {
        SOURCE_WEB: rng.poisson(expected * _SOURCE_SHARE[SOURCE_WEB]),
        SOURCE_APP: rng.poisson(expected * _SOURCE_SHARE[SOURCE_APP]),
        SOURCE_POS: rng.poisson(expected * _SOURCE_SHARE[SOURCE_POS] * shop_open),
        SOURCE_DRAFT: rng.poisson(per_unit * _SOURCE_SHARE[SOURCE_DRAFT] * office_open),
    }
    hours = {SOURCE_WEB: _WEB_HOURS, SOURCE_APP: _WEB_HOURS, SOURCE_POS: _POS_HOURS}
    stamps: list[tuple[int, int, str]] = []
    for source in SOURCES:
        weights = hours.get(source, _DRAFT_HOURS)
        day_index = np.repeat(np.arange(len(days)), counts[source])
        hour = rng.choice(24, size=len(day_index), p=weights / weights.sum())
        seconds = hour * 3600 + rng.integers(0, 3600, size=len(day_index))
        sources = [source] * len(day_index)
        stamps.extend(zip(day_index.tolist(), seconds.tolist(), sources, strict=True))
    stamps.sort()
    return stamps


def _pick_products(rng: np.random.Generator, count: int) -> np.ndarray:
    """Per order, products in pick order without repeats (weighted by popularity).

    Gumbel top-k: sorting log-weights plus Gumbel noise is weighted sampling without
    replacement, done for every order at once.
    """
    popularity = np.array([p.popularity for p in _CATALOG])
    keys = np.log(popularity / popularity.sum()) + rng.gumbel(size=(count, len(_CATALOG)))
    return np.argsort(-keys, axis=1, kind="stable")[:, :_MAX_LINES]


def _choose_discount(day: date, source: str, first_order: bool, draw: float) -> tuple[str, float]:
    if source not in (SOURCE_WEB, SOURCE_APP):
        return "", 0.0
    event_volume, _ = _event_factors(day)
    if event_volume >= 2.0 and draw < 0.55:
        return _BFCM
    if day.month == 12 and day.day <= 23 and draw < 0.25:
        return _HOLIDAY
    if day.month in (7, 8) and draw < 0.18:
        return _SUMMER
    if first_order and draw < 0.22:
        return _WELCOME
    if draw < 0.06:
        return _SAVE
    return "", 0.0


def _simulate_orders(rng: np.random.Generator, days: list[date], tz: ZoneInfo) -> _Demo:
    # Volume is scaled on a whole year ending on the last day, so a shorter run has the same
    # daily level as the full one.
    growth_start = days[-1] - timedelta(days=DAYS - 1)
    canonical = [growth_start + timedelta(days=i) for i in range(DAYS)]
    per_unit = EXPECTED_ORDERS_PER_YEAR / _daily_demand(canonical, growth_start)[0].sum()
    volume, conversion = _daily_demand(days, growth_start)
    stamps = _order_times(rng, days, volume, per_unit)
    n = len(stamps)
    end_of_data = datetime.combine(days[-1], time(23, 59, 59), tzinfo=tz)

    # Every random draw per order happens here, all at once (the draw order fixes the bytes).
    region_weights = np.array([r.weight for r in _REGIONS])
    region_draw = rng.choice(len(_REGIONS), size=n, p=region_weights / region_weights.sum())
    line_count = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.55, 0.27, 0.11, 0.05, 0.02])
    picks = _pick_products(rng, n)
    retail_qty = rng.choice([1, 2, 3], size=(n, _MAX_LINES), p=[0.84, 0.13, 0.03])
    wholesale_qty = rng.integers(4, 13, size=(n, _MAX_LINES))
    returning_draw = rng.random(n)
    returning_pick = rng.random(n)
    walk_in_draw = rng.random(n)
    discount_draw = rng.random(n)
    express_draw = rng.random(n)
    status_draw = rng.random(n)
    cancel_minutes = rng.integers(20, 2880, size=n)
    refund_share = rng.uniform(0.15, 0.6, size=n)
    first_names = rng.integers(0, len(_FIRST_NAMES), size=n)
    last_names = rng.integers(0, len(_LAST_NAMES), size=n)
    house_numbers = rng.integers(1, 999, size=n)
    streets = rng.integers(0, len(_STREETS), size=n)
    marketing = rng.random(n) < 0.42
    ids = 6_100_000_000_000 + np.cumsum(rng.integers(20_000, 900_000, size=n))

    customers: list[_Customer] = []
    orders: list[_Order] = []
    web_per_day = np.zeros(len(days), dtype=np.int64)
    span = max(len(days) - 1, 1)
    for i, (day_index, seconds, source) in enumerate(stamps):
        day = days[day_index]
        if source == SOURCE_WEB:
            web_per_day[day_index] += 1
        customer: int | None = None
        if not (source == SOURCE_POS and walk_in_draw[i] < 0.45):
            returning_share = 0.30 + 0.12 * day_index / span  # the customer base grows
            if customers and returning_draw[i] < returning_share:
                # Early customers are the loyal ones: skew the pick toward them.
                customer = int(len(customers) * returning_pick[i] ** 1.6)
            else:
                customers.append(
                    _Customer(
                        email=f"customer{len(customers) + 1}@example.com",
                        first=_FIRST_NAMES[first_names[i]],
                        last=_LAST_NAMES[last_names[i]],
                        region=_STORE_REGION if source == SOURCE_POS else int(region_draw[i]),
                        street=f"{house_numbers[i]} {_STREETS[streets[i]]}",
                        accepts_marketing=bool(marketing[i]),
                    )
                )
                customer = len(customers) - 1
        if source == SOURCE_POS or customer is None:
            region = _STORE_REGION
        else:
            region = customers[customer].region
        count = min(int(line_count[i]) + 2, _MAX_LINES) if source == SOURCE_DRAFT else line_count[i]
        quantities = wholesale_qty[i] if source == SOURCE_DRAFT else retail_qty[i]
        lines = [(int(picks[i, k]), int(quantities[k])) for k in range(int(count))]
        first_order = customer is not None and customers[customer].orders == 0
        code, rate = _choose_discount(day, source, first_order, float(discount_draw[i]))
        if customer is not None:
            customers[customer].orders += 1
        order = _Order(
            name=f"#{1001 + i}",
            order_id=int(ids[i]),
            created=_local(day, seconds, tz),
            source=source,
            customer=customer,
            region=region,
            lines=lines,
            discount_code=code,
            discount_rate=rate,
            express=bool(source in (SOURCE_WEB, SOURCE_APP) and express_draw[i] < 0.08),
        )
        _price_order(order)
        _set_status(order, float(status_draw[i]), int(cancel_minutes[i]), float(refund_share[i]))
        if order.cancelled_at is not None:
            # Not after the export was taken; the offset is the one in force at that moment.
            order.cancelled_at = min(order.cancelled_at, end_of_data).astimezone(UTC)
            order.cancelled_at = order.cancelled_at.astimezone(tz)
        orders.append(order)
    return _Demo(days, orders, customers, web_per_day, conversion)


def _price_order(order: _Order) -> None:
    """Shopify's arithmetic in cents: Subtotal is after the discount; Total adds shipping, tax."""
    region = _REGIONS[order.region]
    line_sum = sum(_CATALOG[p].price * q for p, q in order.lines)
    taxable_sum = sum(_CATALOG[p].price * q for p, q in order.lines if not _CATALOG[p].is_gift_card)
    discount = round(line_sum * order.discount_rate)
    subtotal = line_sum - discount
    if order.source in (SOURCE_POS, SOURCE_DRAFT) or not order.ships:
        shipping = 0
    elif order.express:
        extra = 0 if region.country == "US" else _INTERNATIONAL_EXPRESS_EXTRA
        shipping = (_EXPRESS_SHIPPING if region.country == "US" else region.shipping) + extra
    elif region.free_shipping_from is not None and subtotal >= region.free_shipping_from:
        shipping = 0
    else:
        shipping = region.shipping
    taxable = round(subtotal * taxable_sum / line_sum) if line_sum else 0
    if order.source == SOURCE_DRAFT:
        tax_lines: tuple[tuple[str, float, int], ...] = ()  # wholesale: resale, no sales tax
    else:
        tax_lines = tuple((name, rate, round(taxable * rate)) for name, rate in region.taxes)
        tax_lines = tuple(line for line in tax_lines if line[2])  # no tax line for 0.00
    order.discount = discount
    order.subtotal = subtotal
    order.shipping = shipping
    order.tax_lines = tax_lines
    order.total = subtotal + shipping + sum(cents for _, _, cents in tax_lines)


def _set_status(order: _Order, draw: float, cancel_minutes: int, refund_share: float) -> None:
    """Refunds, cancellations, voided and pending payments at realistic rates."""
    if order.source == SOURCE_DRAFT and draw < 0.15:
        order.financial_status = "pending"  # wholesale on payment terms
    elif draw < 0.011:  # cancelled after payment: refunded in full
        order.financial_status = "refunded"
        order.refunded = order.total
        order.cancelled_at = order.created + timedelta(minutes=cancel_minutes)
    elif draw < 0.016:  # cancelled before the payment was captured
        order.financial_status = "voided"
        order.cancelled_at = order.created + timedelta(minutes=cancel_minutes // 4)
    elif draw < 0.036:  # returned
        order.financial_status = "refunded"
        order.refunded = order.total
    elif draw < 0.061:  # partly returned
        order.financial_status = "partially_refunded"
        order.refunded = max(100, round(order.total * refund_share))
    elif draw < 0.068:
        order.financial_status = "pending"


def _order_rows(demo: _Demo, rng: np.random.Generator, tz: ZoneInfo) -> list[str]:
    """The orders export as CSV lines, header first."""
    n = len(demo.orders)
    end_of_data = datetime.combine(demo.days[-1], time(23, 59, 59), tzinfo=tz)
    paid_seconds = rng.integers(0, 4, size=n)
    draft_paid_minutes = rng.integers(2, 90, size=n)
    fulfil_minutes = rng.integers(180, 4320, size=n)
    payment_draw = rng.random(n)
    risk_draw = rng.random(n)
    payment_ids = _tokens(rng, n, 25)

    col = {name: i for i, name in enumerate(SHOPIFY_ORDERS_HEADER)}
    blank: list[object] = [None] * len(SHOPIFY_ORDERS_HEADER)
    out = [",".join(SHOPIFY_ORDERS_HEADER)]

    def later(moment: datetime, **delta: int) -> datetime:
        """A later moment with the offset in force then (it may cross a DST change)."""
        return (moment.astimezone(UTC) + timedelta(**delta)).astimezone(tz)

    for i, order in enumerate(demo.orders):
        customer = demo.customers[order.customer] if order.customer is not None else None
        region = _REGIONS[order.region]
        is_pos = order.source == SOURCE_POS
        is_draft = order.source == SOURCE_DRAFT
        paid = order.financial_status not in ("pending", "voided")
        if is_draft:
            paid_at = later(order.created, minutes=int(draft_paid_minutes[i]))
        else:
            paid_at = later(order.created, seconds=int(paid_seconds[i]))
        if is_pos:
            fulfilled_at = order.created
        elif not order.ships:  # gift cards only: delivered by email at once
            fulfilled_at = paid_at
        else:
            fulfilled_at = later(order.created, minutes=int(fulfil_minutes[i]))
        fulfilled = (
            order.cancelled_at is None
            and order.financial_status != "pending"
            and fulfilled_at <= end_of_data
        )
        if is_pos:
            payment_method = "Cash" if payment_draw[i] < 0.25 else "Shopify Payments"
        elif is_draft:
            payment_method = "manual"
        elif order.financial_status == "pending":
            payment_method = "Bank Deposit"
        elif payment_draw[i] < 0.18:
            payment_method = "PayPal Express Checkout"
        else:
            payment_method = "Shopify Payments"
        created_text = _shopify_time(order.created)
        email = customer.email if customer else None
        for line_no, (product_index, quantity) in enumerate(order.lines):
            product = _CATALOG[product_index]
            row = list(blank)
            row[col["Name"]] = order.name
            row[col["Email"]] = email
            row[col["Created at"]] = created_text
            row[col["Lineitem quantity"]] = quantity
            row[col["Lineitem name"]] = product.title
            row[col["Lineitem price"]] = _money(product.price)
            row[col["Lineitem requires shipping"]] = "false" if product.is_gift_card else "true"
            row[col["Lineitem taxable"]] = "false" if product.is_gift_card else "true"
            row[col["Lineitem fulfillment status"]] = "fulfilled" if fulfilled else "pending"
            row[col["Vendor"]] = product.vendor
            row[col["Lineitem discount"]] = "0.00"
            compare_at = _money(product.compare_at) if product.compare_at else None
            if line_no > 0:  # later rows: only the line's own fields, like Shopify
                row[col["Lineitem compare at price"]] = compare_at or _QUOTED_EMPTY
                row[col["Lineitem sku"]] = product.sku or _QUOTED_EMPTY
                out.append(",".join([_csv_cell(v) for v in row]))
                continue
            row[col["Lineitem compare at price"]] = compare_at
            row[col["Lineitem sku"]] = product.sku or None
            row[col["Financial Status"]] = order.financial_status
            row[col["Paid at"]] = _shopify_time(paid_at) if paid else None
            row[col["Fulfillment Status"]] = "fulfilled" if fulfilled else "unfulfilled"
            row[col["Fulfilled at"]] = _shopify_time(fulfilled_at) if fulfilled else None
            marketing = customer is not None and customer.accepts_marketing
            row[col["Accepts Marketing"]] = "yes" if marketing else "no"
            row[col["Currency"]] = "USD"
            row[col["Subtotal"]] = _money(order.subtotal)
            row[col["Shipping"]] = _money(order.shipping)
            row[col["Taxes"]] = _money(sum(cents for _, _, cents in order.tax_lines))
            row[col["Total"]] = _money(order.total)
            row[col["Discount Code"]] = order.discount_code or _QUOTED_EMPTY
            row[col["Discount Amount"]] = _money(order.discount)
            if is_pos or is_draft or not order.ships:
                row[col["Shipping Method"]] = _QUOTED_EMPTY
            elif order.express:
                row[col["Shipping Method"]] = "Express Shipping"
            elif region.country == "US":
                row[col["Shipping Method"]] = "Standard Shipping"
            else:
                row[col["Shipping Method"]] = "International Shipping"
            if customer is not None:
                home = _REGIONS[customer.region]
                for prefix in ("Billing", "Shipping"):
                    if prefix == "Shipping" and (is_pos or not order.ships):
                        continue
                    row[col[f"{prefix} Name"]] = f"{customer.first} {customer.last}"
                    row[col[f"{prefix} Street"]] = customer.street
                    row[col[f"{prefix} Address1"]] = customer.street
                    row[col[f"{prefix} City"]] = home.city
                    row[col[f"{prefix} Zip"]] = home.zip_code
                    row[col[f"{prefix} Province"]] = home.province or None
                    row[col[f"{prefix} Country"]] = home.country
                    row[col[f"{prefix} Province Name"]] = home.province_name or None
            row[col["Note Attributes"]] = _QUOTED_EMPTY
            if order.cancelled_at is not None:
                row[col["Cancelled at"]] = _shopify_time(order.cancelled_at)
            row[col["Payment Method"]] = payment_method
            row[col["Refunded Amount"]] = _money(order.refunded)
            pending = order.financial_status == "pending"
            row[col["Outstanding Balance"]] = _money(order.total if pending else 0)
            if is_pos or is_draft:
                row[col["Employee"]] = "Sam Okafor" if is_pos else "Dana Whitfield"
                row[col["Location"]] = "Brooklyn Roastery & Shop"
            if is_pos:
                row[col["Device ID"]] = "48213906"
                row[col["Receipt Number"]] = str(order.order_id % 10_000_000)
            row[col["Id"]] = order.order_id
            row[col["Tags"]] = "wholesale" if is_draft else _QUOTED_EMPTY
            risk = risk_draw[i]
            row[col["Risk Level"]] = "Low" if risk < 0.96 else "Medium" if risk < 0.995 else "High"
            row[col["Source"]] = order.source
            for t, (tax_name, rate, cents) in enumerate(order.tax_lines, start=1):
                row[col[f"Tax {t} Name"]] = f"{tax_name} {rate * 100:g}%"
                row[col[f"Tax {t} Value"]] = _money(cents)
            if is_draft and pending:
                row[col["Payment Terms Name"]] = "Net 30"
                row[col["Next Payment Due At"]] = _shopify_time(later(order.created, days=30))
            if paid:
                for name in ("Payment Reference", "Payment ID", "Payment References"):
                    row[col[name]] = payment_ids[i]
            out.append(",".join([_csv_cell(v) for v in row]))
    return out


# --- analytics --------------------------------------------------------------------------
@dataclass
class _Traffic:
    sessions: np.ndarray  # per day
    visitors: np.ndarray
    cart: np.ndarray
    checkout: np.ndarray
    completed: np.ndarray
    device_layers: np.ndarray  # day x device x (completed, checkout, cart, sessions)
    device_visitors: np.ndarray  # day x device
    referrer_layers: np.ndarray  # day x referrer x (completed, checkout, cart, sessions)
    referrer_visitors: np.ndarray  # day x referrer


def _layered_split(
    rng: np.random.Generator, layers: Sequence[int], conversion: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """Split funnel counts (completed <= checkout <= cart <= sessions) across segments.

    Each layer's increment over the one below is split on its own, so every segment keeps the
    funnel order and every layer sums exactly to the store total. Returns segment x layer.
    """
    completed, checkout, cart, sessions = layers
    deeper = share * conversion
    parts = [
        _split(rng, completed, deeper),
        _split(rng, checkout - completed, deeper),
        _split(rng, cart - checkout, share * np.sqrt(conversion)),
        _split(rng, sessions - cart, share),
    ]
    return np.cumsum(np.stack(parts, axis=1), axis=1)


def _simulate_traffic(rng: np.random.Generator, demo: _Demo) -> _Traffic:
    """Sessions from orders and a daily conversion rate; device and referrer splits."""
    n_days = len(demo.days)
    completed = demo.web_orders_per_day.astype(np.int64)
    cr = _BASE_CONVERSION * demo.conversion * rng.lognormal(0.0, 0.07, size=n_days)
    typical = max(float(completed.mean()), 1.0)
    sessions = np.round(np.where(completed > 0, completed, typical) / cr).astype(np.int64)
    checkout_rate = rng.uniform(0.42, 0.56, size=n_days)
    checkout = np.maximum(np.round(completed / checkout_rate), completed + 1).astype(np.int64)
    cart_rate = rng.uniform(0.55, 0.7, size=n_days)
    cart = np.maximum(np.round(checkout / cart_rate), checkout + 1).astype(np.int64)
    sessions = np.maximum(sessions, cart + 1)

    device_share = np.array([d[1] for d in _DEVICES])
    device_cr = np.array([d[2] for d in _DEVICES])
    referrer_share = np.array([r[2] for r in _REFERRERS])
    referrer_cr = np.array([r[3] for r in _REFERRERS])
    device_layers = np.zeros((n_days, len(_DEVICES), 4), dtype=np.int64)
    device_visitors = np.zeros((n_days, len(_DEVICES)), dtype=np.int64)
    referrer_layers = np.zeros((n_days, len(_REFERRERS), 4), dtype=np.int64)
    referrer_visitors = np.zeros((n_days, len(_REFERRERS)), dtype=np.int64)
    mobile_drift = np.linspace(-0.02, 0.02, n_days)  # mobile gains on desktop over the year
    for t in range(n_days):
        layers = (int(completed[t]), int(checkout[t]), int(cart[t]), int(sessions[t]))
        share = device_share + np.array([mobile_drift[t], -mobile_drift[t], 0.0])
        share = share * rng.lognormal(0.0, 0.04, size=len(share))
        device_layers[t] = _layered_split(rng, layers, device_cr, share)
        device_visitors[t] = rng.binomial(device_layers[t, :, 3], 0.81)
        share = referrer_share * rng.lognormal(0.0, 0.1, size=len(referrer_share))
        referrer_layers[t] = _layered_split(rng, layers, referrer_cr, share)
        referrer_visitors[t] = rng.multivariate_hypergeometric(
            referrer_layers[t, :, 3], int(device_visitors[t].sum())
        )
    return _Traffic(
        sessions=sessions,
        visitors=device_visitors.sum(axis=1),
        cart=cart,
        checkout=checkout,
        completed=completed,
        device_layers=device_layers,
        device_visitors=device_visitors,
        referrer_layers=referrer_layers,
        referrer_visitors=referrer_visitors,
    )


def _landing_page_lines(seed: int, demo: _Demo, traffic: _Traffic) -> list[str]:
    """Shopify's "Sessions by landing page" report: the store's daily funnel split by landing
    page (every layer adds up to the store total), with each page's bounce rate.

    Drawn from its own random stream, so adding it changed none of the other files. Bounced
    sessions are single page views, so they never added to the cart.
    """
    rng = np.random.Generator(np.random.PCG64([seed, _LANDING_STREAM]))
    share = np.array([page[2] for page in _LANDING_PAGES])
    conversion = np.array([page[3] for page in _LANDING_PAGES])
    bounce = np.array([page[4] for page in _LANDING_PAGES])
    lines = [",".join(_analytics_cell(v) for v in LANDING_HEADER)]
    for t, day in enumerate(demo.days):
        layers = (
            int(traffic.completed[t]),
            int(traffic.checkout[t]),
            int(traffic.cart[t]),
            int(traffic.sessions[t]),
        )
        split = _layered_split(rng, layers, conversion, share * rng.lognormal(0, 0.08, len(share)))
        for k in np.argsort(-split[:, 3], kind="stable"):
            completed, checkout, cart, sessions = (int(v) for v in split[k])
            if not sessions:
                continue
            p = min(bounce[k] * rng.lognormal(0.0, 0.05) * sessions / max(sessions - cart, 1), 1)
            bounced = int(rng.binomial(sessions - cart, p))
            kind, path = _LANDING_PAGES[k][0], _LANDING_PAGES[k][1]
            cells = [_analytics_cell(v) for v in (day.isoformat(), kind, path, sessions)]
            cells.append(f"{bounced / sessions:.4f}")  # a number: bare, like Shopify's rates
            cells += [_analytics_cell(v) for v in (cart, checkout, completed)]
            lines.append(",".join(cells))
    return lines


def _analytics_files(demo: _Demo, traffic: _Traffic) -> dict[str, list[str]]:
    def lines(header: Sequence[str], rows: list[tuple[object, ...]]) -> list[str]:
        return [",".join(_analytics_cell(v) for v in row) for row in [tuple(header), *rows]]

    days = [d.isoformat() for d in demo.days]
    sessions_rows: list[tuple[object, ...]] = []
    behavior_rows: list[tuple[object, ...]] = []
    device_rows: list[tuple[object, ...]] = []
    referrer_rows: list[tuple[object, ...]] = []
    for t, day in enumerate(days):
        sessions_rows.append((day, int(traffic.visitors[t]), int(traffic.sessions[t])))
        behavior_rows.append(
            (day, int(traffic.cart[t]), int(traffic.checkout[t]), int(traffic.completed[t]))
        )
        # Breakdown rows: most sessions first, like Shopify; funnel columns after sessions.
        for k in np.argsort(-traffic.device_layers[t, :, 3], kind="stable"):
            completed, checkout, cart, sessions = (int(v) for v in traffic.device_layers[t, k])
            visitors = int(traffic.device_visitors[t, k])
            device_rows.append((day, _DEVICES[k][0], visitors, sessions, cart, checkout, completed))
        for k in np.argsort(-traffic.referrer_layers[t, :, 3], kind="stable"):
            completed, checkout, cart, sessions = (int(v) for v in traffic.referrer_layers[t, k])
            visitors = int(traffic.referrer_visitors[t, k])
            if sessions:
                source, name = _REFERRERS[k][0], _REFERRERS[k][1]
                referrer_rows.append(
                    (day, source, name, visitors, sessions, cart, checkout, completed)
                )
    return {
        SESSIONS_FILE: lines(SESSIONS_HEADER, sessions_rows),
        BEHAVIOR_FILE: lines(BEHAVIOR_HEADER, behavior_rows),
        DEVICE_FILE: lines(DEVICE_HEADER, device_rows),
        REFERRER_FILE: lines(REFERRER_HEADER, referrer_rows),
    }


# --- events -----------------------------------------------------------------------------------
_VIEW, _CART, _REMOVE, _PURCHASE = 0, 1, 2, 3
_EVENT_NAMES = ("view", "cart", "remove_from_cart", "purchase")
_FIRST_CUSTOMER_USER = 512_000_000
_FIRST_ANONYMOUS_USER = 560_000_000


@dataclass
class _EventChunks:
    """Events collected as numpy chunks, one entry per batch of sessions."""

    times: list[np.ndarray]
    kinds: list[np.ndarray]
    products: list[np.ndarray]
    sessions: list[np.ndarray]
    users: list[np.ndarray]  # user id per session, in session order
    session_count: int = 0

    def add(
        self,
        times: np.ndarray,
        kinds: np.ndarray,
        products: np.ndarray,
        local_session: np.ndarray,
        users: np.ndarray,
    ) -> None:
        self.times.append(times.astype(np.int64))
        self.kinds.append(kinds.astype(np.int8))
        self.products.append(products.astype(np.int64))
        self.sessions.append(local_session.astype(np.int64) + self.session_count)
        self.users.append(users.astype(np.int64))
        self.session_count += len(users)


def _purchase_sessions(
    rng: np.random.Generator, orders: list[_Order], popularity: np.ndarray, chunks: _EventChunks
) -> int:
    """One session per web order ending at the order's time; returns how many were Buy Now."""
    if not orders:
        return 0
    buy_now = rng.random(len(orders)) < 0.1
    extra_views = rng.integers(0, 4, size=len(orders))
    browsed = rng.choice(len(_CATALOG), size=int(extra_views.sum()), p=popularity)
    times, kinds, products, sessions = [], [], [], []
    used = 0
    for s, order in enumerate(orders):
        bought = [p for p, _ in order.lines]
        seq_products = browsed[used : used + extra_views[s]].tolist() + bought
        used += int(extra_views[s])
        seq_kinds = [_VIEW] * len(seq_products)
        if not buy_now[s]:
            seq_products += bought
            seq_kinds += [_CART] * len(bought)
        seq_products += bought
        seq_kinds += [_PURCHASE] * len(bought)
        # gaps[j]: seconds from event j-1 to event j; all purchase events share the order's time.
        gaps = rng.exponential(45.0, size=len(seq_kinds)).astype(np.int64) + 1
        if len(bought) > 1:
            gaps[-len(bought) + 1 :] = 0
        until_end = np.cumsum(gaps[::-1])[::-1] - gaps  # seconds from event j to the last event
        # A session counts on the day it starts: keep it inside the order's day.
        midnight = datetime.combine(order.created.date(), time(), tzinfo=order.created.tzinfo)
        since_midnight = int(order.created.timestamp() - midnight.timestamp())
        if until_end[0] > since_midnight:
            until_end = until_end * since_midnight // until_end[0]
        times.append(int(order.created.timestamp()) - until_end)
        kinds.append(seq_kinds)
        products.append(seq_products)
        sessions.append(np.full(len(seq_kinds), s))
    users = np.array([_FIRST_CUSTOMER_USER + 7 * (o.customer or 0) for o in orders])
    chunks.add(
        np.concatenate(times),
        np.concatenate([np.array(k) for k in kinds]),
        np.concatenate([np.array(p) for p in products]),
        np.concatenate(sessions),
        users,
    )
    return int(buy_now.sum())


def _browse_sessions(
    rng: np.random.Generator,
    day: date,
    count: int,
    cart_count: int,
    popularity: np.ndarray,
    tz: ZoneInfo,
    visitors: list[np.ndarray],
    chunks: _EventChunks,
) -> None:
    """Sessions that only viewed products (the first `cart_count` also add one to the cart)."""
    if count <= 0:
        return
    views = rng.geometric(0.21, size=count)
    is_cart = np.arange(count) < cart_count
    is_remove = is_cart & (rng.random(count) < 0.22)
    per_session = views + is_cart + is_remove
    first_event = np.cumsum(per_session) - per_session
    session = np.repeat(np.arange(count), per_session)
    position = np.arange(int(per_session.sum())) - first_event[session]
    viewed = rng.choice(len(_CATALOG), size=int(views.sum()), p=popularity)
    first_view = np.cumsum(views) - views
    # A cart or remove event is about the session's last viewed product.
    products = viewed[first_view[session] + np.minimum(position, views[session] - 1)]
    kinds = np.where(
        position < views[session], _VIEW, np.where(position == views[session], _CART, _REMOVE)
    )
    weights = _WEB_HOURS / _WEB_HOURS.sum()
    start_seconds = rng.choice(24, size=count, p=weights) * 3600 + rng.integers(0, 3600, count)
    starts = _local_to_epoch(day, start_seconds, tz)
    gaps = rng.exponential(45.0, size=len(session)).astype(np.int64) + 1
    gaps[first_event] = 0
    elapsed = np.cumsum(gaps)
    times = starts[session] + elapsed - elapsed[first_event][session]
    # Visitors: about 30% come back from earlier days, the rest are new.
    known = np.concatenate(visitors) if visitors else np.empty(0, dtype=np.int64)
    returning = (rng.random(count) < 0.3) & (len(known) > 0)
    new_count = int(count - returning.sum())
    last = int(known[-1]) if len(known) else _FIRST_ANONYMOUS_USER
    new_users = last + np.cumsum(rng.integers(1, 40, size=new_count))
    users = np.empty(count, dtype=np.int64)
    users[~returning] = new_users
    if returning.any():
        users[returning] = known[rng.integers(0, len(known), size=int(returning.sum()))]
    visitors.append(new_users)
    chunks.add(times, kinds, products, session, users)


def _session_ids(rng: np.random.Generator, count: int) -> list[str]:
    """UUID4-shaped session ids."""
    hexed = rng.bytes(16 * count).hex()
    ids = []
    for s in range(count):
        h = hexed[32 * s : 32 * s + 32]
        variant = "89ab"[int(h[16], 16) % 4]
        ids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return ids


def _event_lines(
    rng: np.random.Generator, demo: _Demo, traffic: _Traffic, tz: ZoneInfo, event_days: int
) -> list[str]:
    """REES46-style events for the last days: one session per analytics session."""
    n_days = len(demo.days)
    popularity = np.array([p.popularity for p in _CATALOG])
    popularity = popularity / popularity.sum()
    web_orders: dict[date, list[_Order]] = {}
    for order in demo.orders:
        if order.source == SOURCE_WEB:
            web_orders.setdefault(order.created.date(), []).append(order)
    chunks = _EventChunks([], [], [], [], [])
    visitors: list[np.ndarray] = []
    for t in range(max(0, n_days - event_days), n_days):
        day = demo.days[t]
        orders = web_orders.get(day, [])
        buy_now = _purchase_sessions(rng, orders, popularity, chunks)
        # Sessions with a cart event match "Sessions with cart additions"; Buy Now purchases
        # skip the cart, as they do in Shopify.
        others = max(int(traffic.sessions[t]) - len(orders), 0)
        cart_only = min(max(int(traffic.cart[t]) - (len(orders) - buy_now), 0), others)
        _browse_sessions(rng, day, others, cart_only, popularity, tz, visitors, chunks)

    header = ",".join(EVENTS_HEADER)
    if not chunks.times:
        return [header]
    times = np.concatenate(chunks.times)
    kinds = np.concatenate(chunks.kinds)
    products = np.concatenate(chunks.products)
    sessions = np.concatenate(chunks.sessions)
    users = np.concatenate(chunks.users)
    uuids = _session_ids(rng, chunks.session_count)
    order = np.lexsort((np.arange(len(times)), sessions, times))
    stamps = np.datetime_as_string(times[order].astype("datetime64[s]"), unit="s").tolist()
    product_cells = [
        ",".join(
            (
                str(_FIRST_PRODUCT_ID + 37 * i),
                str(_FIRST_CATEGORY_ID + 1_000_003 * (i % 13)),
                p.category_code,
                p.vendor.split()[0].lower().rstrip("."),
                _money(p.price),
            )
        )
        for i, p in enumerate(_CATALOG)
    ]
    out = [header]
    for stamp, kind, product, session in zip(
        stamps,
        kinds[order].tolist(),
        products[order].tolist(),
        sessions[order].tolist(),
        strict=True,
    ):
        out.append(
            f"{stamp[:10]} {stamp[11:]} UTC,{_EVENT_NAMES[kind]},{product_cells[product]},"
            f"{users[session]},{uuids[session]}"
        )
    return out


# --- public API ---------------------------------------------------------------------------
def generate_demo_files(
    target_dir: Path,
    seed: int = DEFAULT_SEED,
    *,
    days: int = DAYS,
    end_date: date = END_DATE,
    event_days: int = EVENT_DAYS,
) -> list[Path]:
    """Write the demo store's exports into target_dir; returns their paths in import order.

    Deterministic: the same arguments write the same bytes. ``days`` shortens the year (for
    quick tests); ``event_days`` is how many of the last days get events.
    """
    if days < 1 or event_days < 0:
        raise ValueError("days must be at least 1 and event_days at least 0.")
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(STORE_TIME_ZONE)
    rng = np.random.Generator(np.random.PCG64(seed))
    day_list = [end_date - timedelta(days=days - 1 - i) for i in range(days)]
    demo = _simulate_orders(rng, day_list, tz)
    contents = {ORDERS_FILE: _order_rows(demo, rng, tz)}
    traffic = _simulate_traffic(rng, demo)
    contents.update(_analytics_files(demo, traffic))
    contents[EVENTS_FILE] = _event_lines(rng, demo, traffic, tz, event_days)
    contents[LANDING_FILE] = _landing_page_lines(seed, demo, traffic)
    paths = []
    for name in DEMO_FILE_NAMES:
        path = target_dir / name
        _write_text(path, contents[name])
        paths.append(path)
    return paths


def demo_files() -> list[Path]:
    """The demo exports present in SAMPLE_DIR, in import order."""
    return [SAMPLE_DIR / name for name in DEMO_FILE_NAMES if (SAMPLE_DIR / name).is_file()]


def load_demo(
    db: Database, progress: Callable[[int, int, str | None], None] | None = None
) -> list[ImportReport]:
    """Import the demo exports as demo data (writing them into SAMPLE_DIR first if missing).

    Demo imports are marked ``is_demo`` and removed in one step with
    ``ro_core.ingest.pipeline.remove_demo_data``. Loading twice is harmless: files already
    imported are recognised by their bytes and not loaded again.

    ``progress``, when given, is called with (files imported, files in all, name of the file
    about to be imported) before each file, and with (all, all, None) once the last is in.
    """
    from ro_core.ingest.pipeline import ingest_file

    db.require_local_store("loading the demo store")
    files = demo_files()
    if len(files) < len(DEMO_FILE_NAMES):
        files = generate_demo_files(SAMPLE_DIR)
    reports = []
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files), path.name)
        # Event times are UTC: count their days in the store's time zone, like the orders.
        options = {"timezone": STORE_TIME_ZONE} if path.name == EVENTS_FILE else None
        reports.append(ingest_file(db, path, options=options, is_demo=True))
    if progress is not None:
        progress(len(files), len(files), None)
    return reports
