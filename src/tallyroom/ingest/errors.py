"""The ways an import can fail before anything is stored."""

from tallyroom.errors import InvalidError


class IngestError(InvalidError):
    """Base class for import failures; the message names file, line and field."""


class IngestFormatError(IngestError):
    """A file is not in the expected format: wrong columns, a non-numeric count, …"""


class ReconciliationError(IngestError):
    """A file's total row does not equal the sum of the rows it totals."""
