"""Election-night projection: batch MMP, a special-vote model, simulation and backtests.

The package takes plain values (counts as arrays and dataclasses), never a database
engine: the read layer passes it what has been counted and what earlier elections did.
"""
