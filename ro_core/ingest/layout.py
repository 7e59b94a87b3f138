"""Look at a file before DuckDB reads it: compression, encoding, binary content, delimiter,
'#' preambles and GA4 downloads that stack several tables in one file.

Only the first bytes are inspected, except for files that start with '#' (analytics report
downloads, small by nature), which are scanned line by line to split their tables.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ro_core.errors import ImportFileError
from ro_core.ingest.base import TablePart

SNIFF_BYTES = 1 << 20
MAX_EXPANDED_BYTES = 4 << 30  # a compressed upload may expand to at most 4 GiB...
MAX_EXPANSION_RATIO = 100  # ...and at most 100 times its compressed size
MAX_COLUMNS = 2000


@dataclass(frozen=True)
class FileLayout:
    """How to read a file: its encoding and the tables in it."""

    encoding: str  # utf-8 | utf-16 | latin-1 (names DuckDB's read_csv accepts)
    parts: tuple[TablePart, ...]
    source_path: Path  # the file DuckDB reads (a decompressed copy for .gz/.zip)


def _new_temp(work_dir: Path, suffix: str) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    return work_dir / f"import-{uuid.uuid4().hex}{suffix}"


def _decompress(path: Path, file_name: str, work_dir: Path) -> Path | None:
    """A bounded decompressed copy of a .gz or .zip file; None if the file is not compressed."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    compressed_size = max(path.stat().st_size, 1)
    limit = min(MAX_EXPANDED_BYTES, compressed_size * MAX_EXPANSION_RATIO + (64 << 20))
    if magic[:2] == b"\x1f\x8b":
        opener = gzip.open(path, "rb")
    elif magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise ImportFileError(
                f"this zip archive holds {len(members)} files.",
                file_name=file_name,
                hint="Unzip it and import the CSV files one by one.",
            )
        opener = archive.open(members[0])
    else:
        return None
    target = _new_temp(work_dir, ".csv")
    written = 0
    try:
        with opener as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ImportFileError(
                        f"this compressed file expands to more than {limit >> 20} MB "
                        f"({written // compressed_size}x its size), so it was not opened.",
                        file_name=file_name,
                        hint="Unpack it yourself and import the CSV with `ro ingest`.",
                    )
                dst.write(chunk)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        target.unlink(missing_ok=True)
        raise ImportFileError(
            "this compressed file is damaged.", file_name=file_name, hint="Export it again."
        ) from e
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _detect_encoding(head: bytes, file_name: str) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head[:8192]:
        raise ImportFileError(
            "this is not a text (CSV) file.",
            file_name=file_name,
            hint="Export the report as CSV and import that file.",
        )
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 4:  # a character cut by the sniff window
            return "utf-8"
        return "latin-1"


def _decode(head: bytes, encoding: str) -> str:
    text = head.decode(encoding if encoding != "utf-16" else "utf-16", errors="replace")
    return text.lstrip("\ufeff")


def _split_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, quotechar='"'))


def _pick_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _check_header(header: list[str], file_name: str, line: int) -> None:
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(
            f"the header has {len(header)} columns; exports have at most a few hundred.",
            file_name=file_name,
            line=line,
            hint="Check that this is the right file.",
        )


def sniff(path: Path, file_name: str, work_dir: Path) -> FileLayout:
    """Inspect a file and describe the tables to read from it."""
    if not path.exists() or path.stat().st_size == 0:
        raise ImportFileError("the file is empty.", file_name=file_name, hint="Export it again.")
    source = _decompress(path, file_name, work_dir) or path
    with source.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = _detect_encoding(head, file_name)
    text = _decode(head, encoding)
    if not text.strip():
        raise ImportFileError("the file is empty.", file_name=file_name, hint="Export it again.")
    first = text.lstrip("\r\n ")
    if first.startswith("#"):
        parts = _split_commented_tables(source, encoding, file_name, work_dir)
    else:
        parts = (_single_table(text, source, file_name),)
    return FileLayout(encoding=encoding, parts=parts, source_path=source)


def _single_table(text: str, source: Path, file_name: str) -> TablePart:
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and not lines[skip].strip().strip(","):
        skip += 1
    if skip >= len(lines):
        raise ImportFileError("the file has no header line.", file_name=file_name)
    header_text = lines[skip]
    if len(header_text) >= SNIFF_BYTES - 16:
        raise ImportFileError(
            "the first line is over 1 MB long, so it is not a CSV header.",
            file_name=file_name,
            line=skip + 1,
        )
    delimiter = _pick_delimiter(header_text)
    header = _split_header(header_text, delimiter)
    _check_header(header, file_name, skip + 1)
    return TablePart(
        header=header,
        header_line=skip + 1,
        data_path=source,
        skip_lines=skip,
        delimiter=delimiter,
    )


_PREAMBLE_FIELD = re.compile(r"^(account|property|start date|end date)\s*:", re.IGNORECASE)


def _split_commented_tables(
    source: Path, encoding: str, file_name: str, work_dir: Path
) -> tuple[TablePart, ...]:
    """Split a GA4-style download: blocks of '#' lines, each followed by a header and rows."""
    blocks: list[tuple[list[str], int, list[str]]] = []  # (preamble, header line no, lines)
    preamble: list[str] = []
    current: list[str] | None = None
    header_line = 0
    with io.TextIOWrapper(source.open("rb"), encoding=encoding, newline="") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n").lstrip("\ufeff")
            if line.startswith("#"):
                if current is not None:
                    blocks.append((preamble, header_line, current))
                    preamble, current = [], None
                preamble.append(line.lstrip("#").strip())
            elif not line.strip():
                if current is not None:
                    blocks.append((preamble, header_line, current))
                    preamble, current = [], None
            elif current is None:
                current, header_line = [line], number
            else:
                current.append(line)
    if current is not None:
        blocks.append((preamble, header_line, current))
    if not blocks:
        raise ImportFileError("the file has only comment lines.", file_name=file_name)
    parts = []
    shared_preamble = blocks[0][0]
    for block_preamble, line_no, lines in blocks:
        delimiter = _pick_delimiter(lines[0])
        header = _split_header(lines[0], delimiter)
        _check_header(header, file_name, line_no)
        if len(blocks) == 1:
            data_path, skip = source, line_no - 1
        else:
            data_path, skip = _new_temp(work_dir, ".csv"), 0
            data_path.write_text("\n".join(lines) + "\n", encoding=encoding)
        merged = [*shared_preamble, *[p for p in block_preamble if p not in shared_preamble]]
        # The report's name ("Traffic acquisition: Session ...") is the first line that is not a
        # rule or an "Account:", "Property:", "Start date:", "End date:" line.
        title = next(
            (p for p in merged if p and not p.startswith("-") and not _PREAMBLE_FIELD.match(p)),
            "",
        )
        parts.append(
            TablePart(
                header=header,
                header_line=line_no,
                data_path=data_path,
                skip_lines=skip,
                preamble=[*shared_preamble, *block_preamble] if len(blocks) > 1 else merged,
                title=title,
                delimiter=delimiter,
            )
        )
    return tuple(parts)


def cleanup(layout: FileLayout, original: Path) -> None:
    """Delete temporary files the layout created (never the original)."""
    paths = {layout.source_path, *(p.data_path for p in layout.parts)}
    for p in paths:
        if p != original and p.name.startswith("import-"):
            p.unlink(missing_ok=True)


def copy_to_work_dir(stream: io.BufferedIOBase, work_dir: Path, suffix: str = ".csv") -> Path:
    """Copy an uploaded stream to a temporary file we name ourselves (never the upload's name)."""
    target = _new_temp(work_dir, suffix)
    with target.open("wb") as dst:
        shutil.copyfileobj(stream, dst, length=1 << 20)
    return target
