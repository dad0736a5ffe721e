"""Pure election rules: apportionment, New Zealand MMP, first past the post, referendums.

Nothing here does I/O or imports from the rest of tallyroom.
"""
