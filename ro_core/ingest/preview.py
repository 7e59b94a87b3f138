"""The first rows of a file as text, for the column-mapping form of an unknown layout."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ro_core.ingest import layout as layout_mod
from ro_core.store.db import restrict_file_access

MAX_PREVIEW_ROWS = 100


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for position, raw in enumerate(header):
        name = raw.replace("\ufeff", "").strip().strip('"').strip() or f"column {position + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def preview_rows(path: Path | str, n: int = 10) -> pd.DataFrame:
    """The first ``n`` data rows of a CSV export, every value as text.

    Reads the first table of the file (after any '#' preamble; compressed files are expanded to
    a temporary copy beside ``path`` and removed again). Columns are named after the header,
    duplicates numbered ("Total (2)"). Rows with too few or too many cells are padded or cut,
    since a preview only has to show what the columns hold. Empty cells are ''.

    Raises:
        ImportFileError: the file is empty, binary or has no header.
    """
    path = Path(path)
    n = max(0, min(int(n), MAX_PREVIEW_ROWS))
    layout = layout_mod.sniff(path, path.name, path.parent)
    try:
        part = layout.parts[0]
        names = _unique_names(part.header)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
        with duckdb.connect() as conn:
            # this connection may read the file's own folder only (as the Database does)
            restrict_file_access(conn, [str(part.data_path.parent.resolve()) + "/"])
            df = conn.execute(
                f"""SELECT * FROM read_csv(?, header = true, skip = ?, delim = ?, quote = '"',
                        escape = '"', auto_detect = false, columns = {columns},
                        strict_mode = false, null_padding = true, ignore_errors = true,
                        encoding = ?)
                LIMIT ?""",
                [str(part.data_path), part.skip_lines, part.delimiter, layout.encoding, n],
            ).df()
    finally:
        layout_mod.cleanup(layout, path)
    df.columns = names
    return df.fillna("")
