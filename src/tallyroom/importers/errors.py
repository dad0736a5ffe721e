"""The ways an import can fail before anything is stored."""

from tallyroom.errors import InvalidError


class ImporterError(InvalidError):
    """Base class for import failures; the message names file, line and field."""


class FileFormatError(ImporterError):
    """A file is not in the expected format: wrong columns, a non-numeric count, …"""


class ReconciliationError(ImporterError):
    """A file's total row does not equal the sum of the rows it totals."""
