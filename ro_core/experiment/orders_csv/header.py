"""The file's header: the column names as shown, the likely column of each role and the
position of a chosen column."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ro_core.errors import ImportFileError
from ro_core.ingest import layout as layout_mod

_GUESSES: dict[str, tuple[str, ...]] = {
    "variant": (
        "variant",
        "variation",
        "arm",
        "group",
        "bucket",
        "experiment_variant",
        "test_group",
    ),
    "converted": ("converted", "conversion", "purchased", "is_converted", "ordered", "purchase"),
    "revenue": ("revenue", "order_value", "value", "amount", "total", "sales", "order_total"),
    "visitor": (
        "visitor_id",
        "visitor",
        "user_id",
        "user",
        "client_id",
        "customer_id",
        "session_id",
    ),
}


def clean_header(header: Sequence[str]) -> list[str]:
    """Header cells as shown to people: BOM, quotes and spaces stripped, blanks named
    'column N', repeated names numbered ('Total (2)')."""
    seen: dict[str, int] = {}
    names = []
    for position, raw in enumerate(header):
        name = str(raw).replace("\ufeff", "").strip().strip('"').strip() or f"column {position + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _single_part(path: Path, file_name: str) -> tuple[layout_mod.FileLayout, list[str]]:
    layout = layout_mod.sniff(path, file_name, path.parent)
    if len(layout.parts) != 1:
        layout_mod.cleanup(layout, path)
        raise ImportFileError(
            f"the file holds {len(layout.parts)} tables; a test's results need one table.",
            file_name=file_name,
            hint="Export one row per visitor with a variant column.",
        )
    return layout, clean_header(layout.parts[0].header)


def variant_csv_columns(path: Path | str, *, file_name: str | None = None) -> list[str]:
    """The column names in the file's header (see :func:`clean_header`).

    Raises:
        ImportFileError: the file is empty, binary, has no header or several tables.
    """
    path = Path(path)
    layout, names = _single_part(path, file_name or path.name)
    layout_mod.cleanup(layout, path)
    return names


def guess_columns(columns: Sequence[str]) -> dict[str, str | None]:
    """Likely variant, converted, revenue and visitor columns by name (None when no match).

    Keys: 'variant', 'converted', 'revenue', 'visitor'. A column is used for one role only.
    """
    lowered = {column: column.strip().lower().replace(" ", "_") for column in columns}
    taken: set[str] = set()
    guesses: dict[str, str | None] = {}
    for role, candidates in _GUESSES.items():
        found = None
        for candidate in candidates:
            found = next(
                (c for c, low in lowered.items() if low == candidate and c not in taken), None
            )
            if found is not None:
                break
        if found is not None:
            taken.add(found)
        guesses[role] = found
    return guesses


def _resolve(names: list[str], wanted: str, role: str, file_name: str) -> int:
    """Position of the header column called `wanted` (exact, else a unique case-blind match)."""
    text = str(wanted).strip()
    if text in names:
        return names.index(text)
    folded = [i for i, name in enumerate(names) if name.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
    raise ImportFileError(
        f"there is no column '{text[:60]}' for the {role}.",
        file_name=file_name,
        hint=f"Columns in this file: {shown}.",
    )
