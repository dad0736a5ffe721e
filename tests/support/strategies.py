"""Hypothesis strategies for the election domain, shared by every property test."""

from __future__ import annotations

from hypothesis import strategies as st

from tallyroom.rules.apportion import Method

DIVISOR_METHODS = [m for m in Method if m.is_divisor]


def vote_vectors(
    min_parties: int = 1, max_parties: int = 12, max_votes: int = 3_000_000
) -> st.SearchStrategy[list[int]]:
    """Vote counts with at least one positive; small values make ties likely."""
    counts = st.one_of(st.integers(0, 20), st.integers(0, max_votes))
    return st.lists(counts, min_size=min_parties, max_size=max_parties).filter(any)


def seat_counts(max_seats: int = 150) -> st.SearchStrategy[int]:
    return st.integers(0, max_seats)


methods = st.sampled_from(list(Method))
divisor_methods = st.sampled_from(DIVISOR_METHODS)
