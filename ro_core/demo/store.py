"""The demo store itself: its time zone and year, sales channels, catalogue and regions.

Northwind Roasters, a US coffee roaster selling beans, brewing gear and mugs online, through an
app channel and in its Brooklyn shop. Prices and shipping are in cents; each region carries its
tax lines and shipping rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STORE_TIME_ZONE = "America/New_York"
END_DATE = date(2025, 10, 31)  # the demo year ends here: ranges follow the data, not today
DAYS = 365
EVENT_DAYS = 30
DEFAULT_SEED = 7
EXPECTED_ORDERS_PER_YEAR = 9_800


SOURCE_WEB = "web"
SOURCE_POS = "pos"
SOURCE_APP = "580111"  # a sales-channel app, exported by its numeric app id
SOURCE_DRAFT = "shopify_draft_order"
SOURCES = (SOURCE_WEB, SOURCE_APP, SOURCE_POS, SOURCE_DRAFT)


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
