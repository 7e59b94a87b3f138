"""The store-health digest as a small self-contained HTML page (what `ro check --html` writes)."""

from __future__ import annotations

import html
from datetime import datetime

from ro_core.health.daily import HealthCheck
from ro_core.health.detect import TRACKING

STYLE = (
    "body{font-family:Helvetica,Arial,sans-serif;color:#1f2937;max-width:900px;margin:24px auto;"
    "padding:0 16px}li{margin:6px 0}.tracking{color:#b45309}.anomaly{color:#1f2937}"
    "p.meta{color:#64748b;font-size:14px}"
)


def health_digest_html(check: HealthCheck, *, generated_at: datetime | None = None) -> str:
    """A page listing every alert's sentence (tracking problems first), escaped."""
    stamp = (generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    items = "".join(
        f'<li class="{"tracking" if a.kind == TRACKING else "anomaly"}">'
        f"{html.escape(a.sentence)}</li>"
        for a in check.alerts
    )
    body = f"<ul>{items}</ul>" if items else "<p>No alerts: every day looks like its weekday.</p>"
    checked = "".join(f'<p class="meta">{html.escape(c)}</p>' for c in check.checked)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Store health: {html.escape(check.period.label())}</title>"
        f"<style>{STYLE}</style></head><body><h1>Store health</h1>"
        f'<p class="meta">{html.escape(check.period.label())} · generated {stamp}</p>'
        f"{body}{checked}</body></html>\n"
    )
