"""Look at a file before DuckDB reads it: compression, encoding, binary content, delimiter,
'#' preambles and GA4 downloads that stack several tables in one file.

The encoding is decided for the whole file, never from its first megabyte: every byte is checked
as UTF-8 (in 1 MB blocks, no per-row work). A file that is not UTF-8 throughout and has no UTF-8
accent anywhere is a Windows-1252 / Latin-1 export and is transcoded to a UTF-8 copy, so an
accented name deep in a big file never turns its row into "invalid text". A file that mixes
UTF-8 accents with stray bytes stays UTF-8 and its broken rows are reported with their lines.
Everything written to the work folder (decompressed, transcoded or split copies) is removed
again when sniffing fails, and by :func:`cleanup` after the import.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ro_core.errors import ImportFileError
from ro_core.ingest.base import TablePart
from ro_core.ingest.file_scan import Utf8Check

SNIFF_BYTES = 1 << 20
MAX_EXPANDED_BYTES = 4 << 30  # a compressed upload may expand to at most 4 GiB...
MAX_EXPANSION_RATIO = 100  # ...and at most 100 times its compressed size
MAX_COLUMNS = 2000


@dataclass(frozen=True)
class FileLayout:
    """How to read a file: its encoding and the tables in it."""

    encoding: str  # utf-8 | utf-16 (names DuckDB's read_csv accepts)
    parts: tuple[TablePart, ...]
    source_path: Path  # the file DuckDB reads (a decompressed copy for .gz/.zip)


def _new_temp(work_dir: Path, suffix: str) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    return work_dir / f"import-{uuid.uuid4().hex}{suffix}"


GZIP_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"PK\x03\x04"


def is_compressed(path: Path) -> bool:
    """Whether the file is a .gz or .zip (by its first bytes)."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    return magic[:2] == GZIP_MAGIC or magic == ZIP_MAGIC


def _decompress(path: Path, file_name: str, work_dir: Path) -> Path | None:
    """A bounded decompressed copy of a .gz or .zip file; None if the file is not compressed."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    compressed_size = max(path.stat().st_size, 1)
    limit = min(MAX_EXPANDED_BYTES, compressed_size * MAX_EXPANSION_RATIO + (64 << 20))
    if magic[:2] == GZIP_MAGIC:
        opener = gzip.open(path, "rb")
    elif magic == ZIP_MAGIC:
        opener = _zip_member(path, file_name)
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
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        target.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno is not None:
            raise  # a disk error (full disk), not a damaged file: translated by the caller
        raise ImportFileError(
            "this compressed file is damaged.", file_name=file_name, hint="Export it again."
        ) from e
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _zip_member(path: Path, file_name: str) -> IO[bytes]:
    """The one file inside a zip archive, opened; ImportFileError for damaged, encrypted or
    multi-file archives."""
    damaged = ImportFileError(
        "this zip archive is damaged.", file_name=file_name, hint="Export or zip it again."
    )
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
        raise damaged from e
    if len(members) != 1:
        raise ImportFileError(
            f"this zip archive holds {len(members)} files.",
            file_name=file_name,
            hint="Unzip it and import the CSV files one by one.",
        )
    if members[0].flag_bits & 0x1:
        raise ImportFileError(
            "this zip archive is password-protected.",
            file_name=file_name,
            hint="Unzip it yourself and import the CSV file.",
        )
    try:
        return archive.open(members[0])
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError) as e:
        raise damaged from e


# A UTF-8 encoded non-ASCII character: Latin-1/Windows-1252 text practically never holds one.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Bytes Windows-1252 leaves undefined: a file holding one is read as Latin-1.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
SCAN_BLOCK = 1 << 20


def _whole_file_encoding(source: Path, utf8: bool | None = None) -> str:
    """Decide the encoding from every byte of the file (see the module docstring).

    'utf-8' when the whole file is valid UTF-8, or when it holds UTF-8 accents beside stray
    bytes; otherwise 'cp1252', or 'latin-1' when a byte is undefined in Windows-1252. The common
    case (valid UTF-8, mostly ASCII) is one pass of C-speed checks per block; the pattern scans
    run only for a file that is not valid UTF-8.
    """
    valid_utf8 = _is_valid_utf8(source) if utf8 is None else utf8
    if valid_utf8:
        return "utf-8"
    has_utf8, undefined = False, False
    tail = b""
    with source.open("rb") as fh:
        while block := fh.read(SCAN_BLOCK):
            # the last bytes of the previous block catch a character cut by the boundary
            has_utf8 = has_utf8 or bool(_UTF8_SEQUENCE.search(tail + block))
            undefined = undefined or bool(_CP1252_UNDEFINED.search(block))
            tail = block[-3:]
    if has_utf8:
        return "utf-8"
    return "latin-1" if undefined else "cp1252"


def _is_valid_utf8(source: Path) -> bool:
    """True when every byte of the file is valid UTF-8 (ASCII blocks are skipped at once)."""
    check = Utf8Check()
    with source.open("rb") as fh:
        while block := fh.read(SCAN_BLOCK):
            check.feed(block)
            if not check.valid:
                return False
    return check.finish()


def _transcode(source: Path, encoding: str, work_dir: Path) -> Path:
    """A UTF-8 copy of a single-byte encoded file (1 MB blocks; every byte maps to a character)."""
    target = _new_temp(work_dir, ".csv")
    try:
        with (
            source.open("r", encoding=encoding, newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            while block := src.read(SCAN_BLOCK):
                dst.write(block)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _detect_encoding(head: bytes, file_name: str) -> str:
    """'utf-16' from a byte-order mark, else 'whole-file' (decided by scanning the file)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head[:8192]:
        raise ImportFileError(
            "this is not a text (CSV) file.",
            file_name=file_name,
            hint="Export the report as CSV and import that file.",
        )
    return "whole-file"


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


def sniff(path: Path, file_name: str, work_dir: Path, *, utf8: bool | None = None) -> FileLayout:
    """Inspect a file and describe the tables to read from it. `utf8`: whether the file is
    valid UTF-8, when a scan of its bytes already found out (else it is checked here)."""
    if not path.exists() or path.stat().st_size == 0:
        raise ImportFileError("the file is empty.", file_name=file_name, hint="Export it again.")
    created: list[Path] = []  # our copies, removed again if anything below fails
    try:
        source = _decompress(path, file_name, work_dir) or path
        if source != path:
            created.append(source)
        with source.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        encoding = _detect_encoding(head, file_name)
        if encoding == "whole-file":
            encoding = _whole_file_encoding(source, utf8 if source == path else None)
            if encoding != "utf-8":
                transcoded = _transcode(source, encoding, work_dir)
                created.append(transcoded)
                if source != path:  # the decompressed copy is no longer needed
                    source.unlink(missing_ok=True)
                source, encoding = transcoded, "utf-8"
                with source.open("rb") as fh:
                    head = fh.read(SNIFF_BYTES)
        text = _decode(head, encoding)
        if not text.strip():
            raise ImportFileError(
                "the file is empty.", file_name=file_name, hint="Export it again."
            )
        first = text.lstrip("\r\n ")
        if first.startswith("#"):
            parts = _split_commented_tables(source, encoding, file_name, work_dir, created)
        else:
            parts = (_single_table(text, source, file_name),)
    except BaseException:
        for copy in created:
            copy.unlink(missing_ok=True)
        raise
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
    source: Path, encoding: str, file_name: str, work_dir: Path, created: list[Path]
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
            created.append(data_path)
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
