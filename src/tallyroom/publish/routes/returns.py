"""The write side of the API: returning officers submit returns, admins review held
corrections and open and close stages. Every request needs a bearer token (checked by
:class:`~tallyroom.publish.guard.WriteGuard` before the body is read); every outcome is
in the audit log.

A 2xx is sent only after the write has committed; the site is then told at once, so open
pages and event streams show the new figures without waiting for the store watcher.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from tallyroom.errors import ForbiddenError
from tallyroom.model import CountType, Stage
from tallyroom.publish.resources import API
from tallyroom.publish.routes.shared import SiteDep
from tallyroom.store import audit
from tallyroom.store.review import (
    APPROVED,
    REJECTED,
    HeldCorrection,
    decide_held,
    held,
)
from tallyroom.store.submit import (
    Submission,
    set_stage,
    status_of,
    submit,
)
from tallyroom.store.users import Role, User

Count = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
ElectionId = Annotated[
    str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["nz-2020"])
]


class ReturnIn(BaseModel):
    """A return: counts per choice for one contest at one reporting unit and stage."""

    model_config = ConfigDict(extra="forbid")

    contest: Name = Field(examples=["candidate:32"])
    unit: Name = Field(examples=["electorate:32"])
    stage: Stage
    count_type: CountType
    counts: dict[Name, Count] = Field(max_length=2000)
    informal: Count = 0
    total: Count | None = Field(None, description="Counts plus informal, if stated (checked).")
    supersedes: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        None, description="Id of the stored return this one corrects (its latest version)."
    )
    reason: str = Field("", max_length=1000, description="Why a correction is made.")


class ReturnOut(BaseModel):
    """The stored return a submission resolved to."""

    model_config = ConfigDict(extra="forbid")

    return_id: int
    version: int
    supersedes: int | None
    created: bool
    held: bool = Field(
        False,
        description="A correction that changes an outcome: stored, but counted only once "
        "a second admin approves it.",
    )
    changes: list[str] = Field(
        default_factory=list, description="What a held correction would change, in words."
    )


class ReviewIn(BaseModel):
    """An admin's decision on a correction under review."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000, description="Why, for the audit log.")


class ReviewOut(BaseModel):
    """A decided correction."""

    return_id: int
    decision: Literal["approved", "rejected"]


class StageIn(BaseModel):
    """Whether a stage takes returns."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "closed"]


class Refused(BaseModel):
    """Why a write was refused."""

    detail: str | list[Any]


_REFUSALS = {status: {"model": Refused} for status in (401, 403, 404, 409, 422)}


router = APIRouter()


async def writer(request: Request) -> User:
    """The user the write guard authenticated (before the body was read)."""
    return request.state.user


async def ceiling(request: Request) -> int:
    """No return below the nation may report more votes than this (see ``serve
    --unit-ceiling``)."""
    return request.app.state.unit_ceiling


async def changed(request: Request) -> Callable[[], Awaitable[None]]:
    """What runs after a write: the watcher looks at the store at once."""
    return request.app.state.watcher.check


Writer = Annotated[User, Depends(writer)]
Ceiling = Annotated[int, Depends(ceiling)]
Changed = Annotated[Callable[[], Awaitable[None]], Depends(changed)]


@router.post(
    f"{API}/elections/{{election}}/returns",
    summary="Submit a return (returning officers and admins)",
    tags=["returns"],
    status_code=201,
    response_model=ReturnOut,
    responses={
        200: {"model": ReturnOut, "description": "Identical to a stored return"},
        202: {"model": ReturnOut, "description": "A correction held for a second admin"},
        **_REFUSALS,
    },
)
async def post_return(
    election: ElectionId,
    body: ReturnIn,
    background: BackgroundTasks,
    user: Writer,
    site: SiteDep,
    limit: Ceiling,
    after: Changed,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> Response:
    """Submit a return. 201 when stored; 202 when it is a correction that would change
    an outcome (a winner, a party's seats, a referendum's lead): stored but held until
    a second admin approves it; 200 with the stored version for a repeat of an earlier
    submission (same body, or same Idempotency-Key); 409 for different figures under a
    stored return without `supersedes`, for a closed stage, or while a correction of
    the same return is under review."""
    submission = Submission(election=election, idempotency_key=idempotency_key, **body.model_dump())
    stored = await run_in_threadpool(submit, site.engine, user, submission, limit)
    if stored.created:
        background.add_task(after)
    out = ReturnOut(
        return_id=stored.return_id,
        version=stored.version,
        supersedes=stored.supersedes,
        created=stored.created,
        held=stored.held,
        changes=list(stored.changes),
    )
    return JSONResponse(out.model_dump(), status_code=status_of(stored))


@router.get(
    f"{API}/elections/{{election}}/corrections",
    tags=["returns"],
    response_model=list[HeldCorrection],
    responses={401: {"model": Refused}, 403: {"model": Refused}},
)
async def get_corrections(election: ElectionId, user: Writer, site: SiteDep) -> Response:
    """Corrections under review (admins only), oldest first, without their figures."""
    if user.role is not Role.ADMIN:
        raise ForbiddenError(f"{user.name} ({user.role}) may not review")
    found = await run_in_threadpool(held, site.engine, election)
    return JSONResponse([vars(h) for h in found])


@router.post(
    f"{API}/elections/{{election}}/corrections/{{return_id}}/{{decision}}",
    tags=["returns"],
    response_model=ReviewOut,
    responses=_REFUSALS,
)
async def post_review(
    election: ElectionId,
    return_id: Annotated[int, Path(ge=1, le=10**12)],
    decision: Literal["approve", "reject"],
    body: ReviewIn,
    background: BackgroundTasks,
    user: Writer,
    site: SiteDep,
    limit: Ceiling,
    after: Changed,
) -> ReviewOut:
    """Approve or reject a correction under review (an admin other than the one who
    submitted it). An approved correction counts from then on; a rejected one never."""
    verdict = APPROVED if decision == "approve" else REJECTED
    await run_in_threadpool(
        decide_held, site.engine, user, election, return_id, verdict, body.reason, limit
    )
    background.add_task(after)
    return ReviewOut(return_id=return_id, decision=verdict)


@router.post(
    f"{API}/elections/{{election}}/stages/{{stage}}",
    summary="Open or close a stage of the count (admins)",
    tags=["returns"],
    response_model=StageIn,
    responses=_REFUSALS,
)
async def post_stage(
    election: ElectionId,
    stage: Stage,
    body: StageIn,
    background: BackgroundTasks,
    user: Writer,
    site: SiteDep,
    after: Changed,
) -> StageIn:
    """Open or close a stage for returns (admins only)."""
    await run_in_threadpool(set_stage, site.engine, user, election, stage, body.status)
    background.add_task(after)
    return body


async def invalid(request: Request, error: Exception) -> Response:
    """A malformed request: 422 naming every field at fault, never echoing the input;
    an authenticated writer's is audited."""
    assert isinstance(error, RequestValidationError)
    why = "; ".join(_describe(e) for e in error.errors())
    user = getattr(request.state, "user", None)
    if user is not None:
        engine = request.app.state.site.engine
        await audit_write_refusal(engine, user, request.url.path, 422, why)
    return JSONResponse({"detail": why[:2000]}, status_code=422)


async def audit_write_refusal(engine: Engine, user: User, path: str, status: int, why: str) -> None:
    """Record an authenticated writer's request refused before it reached a route."""
    election = path.split("/elections/", 1)[-1].split("/", 1)[0] or None
    await run_in_threadpool(
        audit.record_refusal,
        engine,
        user.name,
        "invalid-request",
        status,
        why[:2000],
        election[:64] if election else None,
        None,
        {"path": path[:300], "method": "POST"},
    )


_ELECTION = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


def write_routes(api: str) -> dict[str, re.Pattern[str]]:
    """The paths that take writes, for the write guard."""
    elections = rf"{re.escape(api)}/elections/{_ELECTION}"
    return {
        "returns": re.compile(rf"{elections}/returns"),
        "stages": re.compile(rf"{elections}/stages/[a-z-]{{1,20}}"),
        "reviews": re.compile(rf"{elections}/corrections/[0-9]{{1,12}}/[a-z]{{1,10}}"),
    }


def private_reads(api: str) -> dict[str, re.Pattern[str]]:
    """The read paths only authenticated users may see, for the write guard."""
    return {"corrections": re.compile(rf"{re.escape(api)}/elections/{_ELECTION}/corrections")}


def _describe(error: dict[str, Any]) -> str:
    """One validation error as ``field: message`` (the input itself is never repeated)."""
    where = ".".join(str(part)[:60] for part in error.get("loc", ()) if part != "body")
    return f"{where or 'body'}: {error.get('msg', 'invalid')}"
