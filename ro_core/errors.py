"""One error hierarchy. Every message is written for a store owner, not a developer."""

from __future__ import annotations


class RoError(Exception):
    """Base class for errors a user can act on. `title` is a short heading, `str()` the message."""

    title = "Something went wrong"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class DatabaseBusyError(RoError):
    """The database file is locked by another process."""

    title = "Database busy"


class DatabaseError(RoError):
    """The database could not be opened or migrated."""

    title = "Database problem"


class ImportFileError(RoError):
    """A file could not be imported. Names the file and, where known, the line and column."""

    title = "Could not import file"

    def __init__(
        self,
        message: str,
        *,
        file_name: str,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = file_name
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        text = f"{where}: {message}"
        if hint:
            text += f" {hint}"
        super().__init__(text)
        self.file_name = file_name
        self.line = line
        self.column = column
        self.hint = hint


class UnknownFormatError(ImportFileError):
    """The header matches no known export: a column mapping is needed."""

    title = "Unknown file layout"

    def __init__(self, *, file_name: str, header: list[str]) -> None:
        super().__init__(
            "this layout is not one we recognise.",
            file_name=file_name,
            hint=(
                "Map its columns (which one is the order id, time, amount...) with "
                "--map COLUMN=FIELD on the command line or the mapping form on the Data page."
            ),
        )
        self.header = header


class InvalidInputError(RoError, ValueError):
    """A value typed by the user (a rate, a date, a count) is not usable."""

    title = "Check your input"


class NoDataError(RoError):
    """The question needs data that has not been imported yet."""

    title = "Not enough data"
