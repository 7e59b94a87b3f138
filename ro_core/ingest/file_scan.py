"""One read of a file's bytes in Python: its SHA-256, whether it is valid UTF-8 and how many
line feeds it has, computed together (each used to cost its own read of the file).

The scan can run in a thread while DuckDB reads the same file (hashing and the UTF-8 check
release the GIL on large blocks), which is how a one-pass import hides it.
"""

from __future__ import annotations

import codecs
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from ro_core.ingest.file_lines import line_feed_counter

BLOCK = 1 << 20


class Utf8Check:
    """Feed a file's blocks in order; `valid` says whether all of it is UTF-8 so far (ASCII
    blocks are skipped at C speed, a character cut by a block boundary is carried over)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._pending = False
        self.valid = True

    def feed(self, block: bytes) -> None:
        """Check one more block."""
        if not self.valid or (not self._pending and block.isascii()):
            return
        try:
            self._decoder.decode(block)
            self._pending = bool(self._decoder.getstate()[0])
        except UnicodeDecodeError:
            self.valid = False

    def finish(self) -> bool:
        """True when the whole file was valid UTF-8 (it may not end inside a character)."""
        if self.valid:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.valid = False
        return self.valid


@dataclass(frozen=True)
class FileScan:
    """What one read of the bytes found."""

    sha256: str
    utf8: bool
    # Line feeds in the file: with the rows read, whether each row is one line (file_lines).
    newlines: int


def scan_file(path: Path) -> FileScan:
    """Hash, check UTF-8 and count line feeds in one read."""
    digest = hashlib.sha256()
    utf8 = Utf8Check()
    line_feeds = line_feed_counter(path.stat().st_size)
    newlines = 0
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
            utf8.feed(block)
            newlines += line_feeds(block)
    return FileScan(digest.hexdigest(), utf8.finish(), newlines)


class BackgroundScan:
    """:func:`scan_file` in a thread; `result()` waits for it (and re-raises its error)."""

    def __init__(self, path: Path) -> None:
        self._result: FileScan | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._result = scan_file(path)
        except BaseException as e:  # handed to the caller by result()
            self._error = e

    def result(self) -> FileScan:
        """The scan, once finished."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result
