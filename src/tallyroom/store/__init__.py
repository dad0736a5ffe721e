"""Persistence: the SQLAlchemy Core schema, migrations, append-only returns.

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://…``) for production.
"""
