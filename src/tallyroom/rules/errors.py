"""Exceptions raised by the rules engine, each named after the failure it reports."""

import numbers

from tallyroom.errors import InvalidError, NotFoundError


class RulesError(InvalidError):
    """Base class: the inputs to a rule cannot produce a lawful result."""


class InvalidVotesError(RulesError):
    """Vote counts are negative, not integers, or all zero where seats must be given."""


class InvalidSeatsError(RulesError):
    """A seat count is negative or too small for the rule being applied."""


class InvalidThresholdError(RulesError):
    """A party-vote threshold that is not a share in [0, 1)."""


class UnknownMethodError(RulesError):
    """An apportionment method name that tallyroom does not implement."""


class UnknownChoiceError(NotFoundError, RulesError):
    """A party, candidate or option named that is not among the contest's choices."""


class UnknownRuleSetError(RulesError):
    """A rule-set name that is not one of the named systems."""


def require_count(what: str, value: object) -> int:
    """``value`` as an ``int`` if it is a whole number ≥ 0, else :class:`InvalidVotesError`.

    ``what`` names the figure in the message, e.g. ``"party votes for 'Green Party'"``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidVotesError(f"{what} must be a whole number ≥ 0, not {value!r}")
    return int(value)
