"""The demo store's traffic: sessions and the checkout funnel per day, agreeing with the web
orders, split by device, referrer and landing page, written as Shopify Analytics reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ro_core.demo.files import (
    BEHAVIOR_FILE,
    BEHAVIOR_HEADER,
    DEVICE_FILE,
    DEVICE_HEADER,
    LANDING_HEADER,
    REFERRER_FILE,
    REFERRER_HEADER,
    SESSIONS_FILE,
    SESSIONS_HEADER,
    _analytics_cell,
)
from ro_core.demo.orders import _Demo

_BASE_CONVERSION = 0.024


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


def _split(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split a count into parts with a multinomial draw (the parts sum exactly to total)."""
    return rng.multinomial(int(total), weights / weights.sum())


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
