"""The service endpoints: the signed audit head and its key, and liveness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tallyroom.publish import schemas
from tallyroom.publish.resources import API
from tallyroom.publish.routes.shared import NO_STORE, SiteDep
from tallyroom.store.signing import public_key, signed_head

router = APIRouter()


@router.get(f"{API}/audit/head", tags=["audit"], response_model=schemas.AuditHead)
async def audit_head(site: SiteDep) -> Response:
    """The audit log's head now, signed. Observers save it; a later
    `tallyroom audit verify --against` proves the log was not rewritten or cut short."""
    head = await run_in_threadpool(signed_head, site.engine)
    return JSONResponse(head.to_dict(), headers=NO_STORE)


@router.get(f"{API}/audit/key", tags=["audit"], response_model=schemas.AuditKey)
async def audit_key(site: SiteDep) -> dict[str, str]:
    """The public key that signs the audit head."""
    return await run_in_threadpool(public_key, site.engine)


@router.get("/healthz", tags=["service"])
async def healthz() -> dict[str, str]:
    """Liveness: the server answers (no store access)."""
    return {"status": "ok"}
