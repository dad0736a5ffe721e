"""Analysis of stored results: what changed between stages, referendums by electorate,
disproportionality. Every figure comes from the store; none is typed in."""
