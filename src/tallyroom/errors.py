"""The errors tallyroom reports to its users, by kind.

Every error a user can cause or meet derives from :class:`TallyroomError` through one of
a few kinds, and its message says what is wrong in words the user can act on. The kinds
are mapped to HTTP statuses here, once (:func:`http_status`); the web app and the
command line translate at their edges, and the audit log records the status a refused
write got. Modules keep their own specific classes (an unknown election, a file that
does not reconcile) under these kinds.
"""

from __future__ import annotations


class TallyroomError(Exception):
    """Something a user asked for cannot be done; the message says why."""


class NotFoundError(TallyroomError, LookupError):
    """Nothing by that name: an election, stage, electorate, table, page."""


class UnauthenticatedError(TallyroomError):
    """No valid credentials came with a request that needs them."""


class ForbiddenError(TallyroomError):
    """The user is known but may not do this."""


class ConflictError(TallyroomError):
    """The request contradicts what is stored: different figures under a stored return,
    a closed stage, a correction already under review, a dataset already imported."""


class InvalidError(TallyroomError):
    """The input itself is wrong: a malformed file, a bad figure, an unknown option."""


class UnavailableError(TallyroomError):
    """The store did not answer; the same request can be sent again."""


HTTP_STATUS: dict[type[TallyroomError], int] = {
    NotFoundError: 404,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    ConflictError: 409,
    InvalidError: 422,
    UnavailableError: 503,
}


def http_status(error: TallyroomError) -> int:
    """The HTTP status of ``error``: that of its first kind in method resolution order
    (so a class that is both, say, not found and a rules error answers 404)."""
    for kind in type(error).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 400
