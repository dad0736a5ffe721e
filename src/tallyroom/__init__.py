"""tallyroom: election results for mixed-member proportional elections and referendums."""

__version__ = "0.1.0"
