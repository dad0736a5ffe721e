"""Who may write to the store: users with a role and a bearer token.

A token is 32 random bytes, shown once when the user is added; the store keeps only its
SHA-256 (a token has far more entropy than a password, so a fast hash is enough and a
lookup needs no salt). Admins may do every write; a returning officer may submit returns
only for the contests and reporting units of one electorate.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from tallyroom.store import schema as t
from tallyroom.store.database import writing


class Role(StrEnum):
    """What a user may write."""

    ADMIN = "admin"
    """Manages elections and stages; may submit any return."""
    RETURNING_OFFICER = "returning-officer"
    """Submits returns for one electorate's contests and reporting units."""


class UserError(ValueError):
    """A user could not be added as asked."""


@dataclass(frozen=True)
class User:
    """An authenticated writer."""

    name: str
    role: Role
    electorate: int | None = None

    def may_write(self, contest_electorate: int | None, unit_electorate: int | None) -> bool:
        """Whether this user may submit a return for that contest at that unit."""
        if self.role is Role.ADMIN:
            return True
        return unit_electorate == self.electorate and contest_electorate in (
            None,
            self.electorate,
        )


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(engine: Engine, name: str, role: Role, electorate: int | None = None) -> str:
    """Add a user; returns their token, which is not stored and cannot be shown again."""
    if not name.strip() or len(name) > 100:
        raise UserError("a user name is 1 to 100 characters")
    if (role is Role.RETURNING_OFFICER) != (electorate is not None):
        raise UserError("a returning officer needs --electorate N; an admin takes none")
    token = secrets.token_urlsafe(32)
    try:
        with writing(engine) as conn:
            conn.execute(
                insert(t.app_user).values(
                    name=name,
                    role=role.value,
                    electorate=electorate,
                    token_hash=token_hash(token),
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        raise UserError(f"there is already a user called {name!r}") from None
    return token


def authenticate(engine: Engine, token: str) -> User | None:
    """The user holding ``token``, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(
            select(t.app_user).where(t.app_user.c.token_hash == token_hash(token))
        ).first()
    return None if row is None else User(row.name, Role(row.role), row.electorate)


def list_users(engine: Engine) -> list[User]:
    """Every user, by name."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.app_user).order_by(t.app_user.c.name)).all()
    return [User(r.name, Role(r.role), r.electorate) for r in rows]
