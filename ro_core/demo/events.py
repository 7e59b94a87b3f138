"""The demo store's event-level export (REES46 layout) for its last days: one session per
analytics session, one purchase event per line of each web order at the order's own time, and
some "Buy Now" purchases that have no cart event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.demo.files import EVENTS_HEADER, _money
from ro_core.demo.orders import _WEB_HOURS, _Demo, _Order
from ro_core.demo.store import _CATALOG, SOURCE_WEB
from ro_core.demo.timeline import _local_to_epoch
from ro_core.demo.traffic import _Traffic

_FIRST_PRODUCT_ID = 5_100_023  # REES46-style integer ids for the event export
_FIRST_CATEGORY_ID = 2_232_732_079_706_079_299


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
