"""The signed audit head: what the store publishes so observers can hold it to its log.

The store has one Ed25519 key, made on first use and kept in the store (so every server
of one store signs alike). The head — the newest audit row's id and hash — is signed as
the bytes of :func:`message`. An observer who saved a signed head can later check, with
the public key alone, that the head is genuine, and with ``tallyroom audit verify
--against HEAD.json`` that the log still passes through it: a chain rewritten or cut
short since then no longer does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from tallyroom.errors import InvalidError
from tallyroom.store import schema as t
from tallyroom.store.database import writing

ALGORITHM = "Ed25519"


class HeadError(InvalidError, ValueError):
    """A published head that cannot be read or whose signature does not verify."""


def message(last_id: int, digest: str) -> bytes:
    """The bytes a head's signature covers."""
    return f"tallyroom audit head\n{last_id}\n{digest}\n".encode()


def store_key(engine: Engine) -> Ed25519PrivateKey:
    """The store's signing key, made and saved the first time it is asked for."""
    key = _stored_key(engine)
    if key is not None:
        return key
    made = Ed25519PrivateKey.generate()
    pem = made.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    try:
        with writing(engine) as conn:
            conn.execute(
                insert(t.store_key), {"id": 1, "private_pem": pem, "created_at": datetime.now(UTC)}
            )
    except IntegrityError:  # another server made it first: use theirs
        pass
    key = _stored_key(engine)
    assert key is not None
    return key


def _stored_key(engine: Engine) -> Ed25519PrivateKey | None:
    with engine.connect() as conn:
        pem = conn.execute(select(t.store_key.c.private_pem).where(t.store_key.c.id == 1)).scalar()
    if pem is None:
        return None
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def public_key(engine: Engine) -> dict[str, str]:
    """The public half of the store's key, as ``/api/v1/audit/key`` serves it."""
    raw = (
        store_key(engine)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"algorithm": ALGORITHM, "public_key": base64.b64encode(raw).decode()}


@dataclass(frozen=True)
class SignedHead:
    """The audit head, signed: what ``/api/v1/audit/head`` serves and observers keep."""

    last_id: int
    hash: str
    algorithm: str
    public_key: str
    signature: str

    def to_dict(self) -> dict[str, Any]:
        """The head as JSON-ready data."""
        return dict(vars(self))


def signed_head(engine: Engine) -> SignedHead:
    """The store's audit head now, signed with its key."""
    key = store_key(engine)
    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
    signature = key.sign(message(head.last_id, head.hash))
    return SignedHead(
        head.last_id,
        head.hash,
        ALGORITHM,
        public_key(engine)["public_key"],
        base64.b64encode(signature).decode(),
    )


def checked_head(data: Any, trusted_key: str | None = None) -> tuple[int, str]:
    """The row id and hash of a published head, once its signature verifies against
    ``trusted_key`` (base64, e.g. from ``/api/v1/audit/key``) or the key it names."""
    try:
        last_id, digest = int(data["last_id"]), str(data["hash"])
        key_text = trusted_key or str(data["public_key"])
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text, validate=True))
        signature = base64.b64decode(str(data["signature"]), validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise HeadError(f"not a signed audit head ({error})") from None
    try:
        key.verify(signature, message(last_id, digest))
    except InvalidSignature:
        raise HeadError(
            "its signature does not verify: the head was altered, or not signed by this key"
        ) from None
    return last_id, digest
