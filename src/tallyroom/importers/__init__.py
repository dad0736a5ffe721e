"""Importers: one module per source format, each reading files into a Dataset.

Every importer checks its files' own total rows and reports bad input by file, line
and column; nothing reaches the store unless the whole input is sound.
"""
