"""Who may write to the store: users with a role and a bearer token.

A token is 32 random bytes, shown once when the user is added; the store keeps only its
SHA-256 (a token has far more entropy than a password, so a fast hash is enough and a
lookup needs no salt). A token may expire, be rotated or be revoked; each change is in the
audit log. Admins may do every write; a returning officer may submit returns
only for the contests and reporting units of one electorate.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tallyroom.errors import InvalidError
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import writing


class Role(StrEnum):
    """What a user may write."""

    ADMIN = "admin"
    """Manages elections and stages; may submit any return."""
    RETURNING_OFFICER = "returning-officer"
    """Submits returns for one electorate's contests and reporting units."""


class UserError(InvalidError, ValueError):
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


def _check_electorate(engine: Engine, number: int) -> None:
    """Refuse an electorate number that no election in the store has (a store with no
    elections yet has nothing to check against)."""
    with engine.connect() as conn:
        known = conn.execute(
            select(t.electorate.c.election_id, func.max(t.electorate.c.number)).group_by(
                t.electorate.c.election_id
            )
        ).all()
        found = conn.execute(
            select(t.electorate.c.number).where(t.electorate.c.number == number).limit(1)
        ).first()
    if known and found is None:
        have = ", ".join(f"{election} has 1-{most}" for election, most in known)
        raise UserError(f"--electorate {number}: no election in the store has it ({have})")


def add_user(
    engine: Engine,
    name: str,
    role: Role,
    electorate: int | None = None,
    expires: datetime | None = None,
) -> str:
    """Add a user; returns their token, which is not stored and cannot be shown again.
    The token stops working at ``expires``, if given. Audited."""
    if not name.strip() or len(name) > 100:
        raise UserError("a user name is 1 to 100 characters")
    if (role is Role.RETURNING_OFFICER) != (electorate is not None):
        raise UserError("a returning officer needs --electorate N; an admin takes none")
    if expires is not None and expires <= datetime.now(UTC):
        raise UserError(f"--expires {expires:%Y-%m-%d %H:%M} is in the past")
    if electorate is not None:
        _check_electorate(engine, electorate)
    token = secrets.token_urlsafe(32)
    try:
        with writing(engine) as conn:
            head = audit.lock(conn)
            conn.execute(
                insert(t.app_user).values(
                    name=name,
                    role=role.value,
                    electorate=electorate,
                    token_hash=token_hash(token),
                    created_at=datetime.now(UTC),
                    expires_at=expires,
                )
            )
            what = {
                "user": name,
                "role": role.value,
                "electorate": electorate,
                "expires": expires.isoformat() if expires else None,
            }
            audit.append(conn, audit.Entry(audit.OPERATOR, "user-add", "accepted", 0, None,
                                           electorate, what), head)  # fmt: skip
    except IntegrityError:
        raise UserError(f"there is already a user called {name!r}") from None
    return token


def revoke_user(engine: Engine, name: str) -> None:
    """Stop ``name``'s token from working, for good. Audited."""
    _change_user(engine, name, "user-revoke", {"revoked_at": datetime.now(UTC)})


def rotate_token(engine: Engine, name: str) -> str:
    """Give ``name`` a new token (the old one stops working at once); returns it. Audited."""
    token = secrets.token_urlsafe(32)
    _change_user(engine, name, "user-rotate", {"token_hash": token_hash(token)})
    return token


def _change_user(engine: Engine, name: str, action: str, values: dict) -> None:
    with writing(engine) as conn:
        head = audit.lock(conn)
        user = t.app_user
        row = conn.execute(select(user).where(user.c.name == name)).first()
        if row is None:
            raise UserError(f"there is no user called {name!r}")
        if row.revoked_at is not None:
            raise UserError(f"{name!r} was revoked at {row.revoked_at:%Y-%m-%d %H:%M}")
        conn.execute(update(user).where(user.c.name == name).values(**values))
        audit.append(conn, audit.Entry(audit.OPERATOR, action, "accepted", 0, None, row.electorate,
                                       {"user": name}), head)  # fmt: skip


def authenticate(engine: Engine, token: str) -> User | None:
    """The user holding ``token``, or ``None`` (also when it expired or was revoked)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(t.app_user).where(t.app_user.c.token_hash == token_hash(token))
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= datetime.now(UTC):
        return None
    return User(row.name, Role(row.role), row.electorate)


def _aware(moment: datetime) -> datetime:
    """``moment`` with a time zone (SQLite hands back naive UTC times)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_users(engine: Engine) -> list[User]:
    """Every user who may still write, by name."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        rows = conn.execute(select(t.app_user).order_by(t.app_user.c.name)).all()
    return [
        User(r.name, Role(r.role), r.electorate)
        for r in rows
        if r.revoked_at is None and (r.expires_at is None or _aware(r.expires_at) > now)
    ]
