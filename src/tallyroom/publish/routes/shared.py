"""What every read route shares: the site as a typed dependency, the path parameters'
types, and responses served from the site's cache with the store generation as ETag."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tallyroom.publish.site import Site

NO_STORE = {"Cache-Control": "no-cache"}
"""Caches may keep a document but must revalidate it (the ETag makes that cheap)."""


async def site_of(request: Request) -> Site:
    """The :class:`Site` of the app serving ``request`` (a coroutine, so FastAPI does not
    send every request through a worker thread to look it up)."""
    return request.app.state.site


SiteDep = Annotated[Site, Depends(site_of)]

ELECTION_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ElectionId = Annotated[
    str,
    Path(
        description="Election id, e.g. nz-2020.",
        max_length=64,
        pattern=ELECTION_ID,
        examples=["nz-2020"],
    ),
]
Earlier = Annotated[
    str,
    Path(
        description="The earlier election, e.g. nz-2020.",
        max_length=64,
        pattern=ELECTION_ID,
        examples=["nz-2020"],
    ),
]
Slug = Annotated[
    str, Path(description="Referendum slug, e.g. cannabis.", max_length=100, examples=["cannabis"])
]
Number = Annotated[int, Path(description="Electorate number.", ge=1, le=10_000, examples=[32])]
TableName = Annotated[
    str,
    Path(
        description="Table name; see the downloads page.", max_length=100, examples=["candidates"]
    ),
]


def etag(site: Site) -> str:
    """The validator of every document: they all change exactly when the store does."""
    return f'W/"{site.generation}"'


async def serve(
    site: Site, key: Hashable, compute: Callable[[], bytes], media_type: str
) -> Response:
    """The bytes ``compute`` makes, computed once per store generation and kept under
    ``key``, with the generation as ETag."""
    tag = etag(site)
    body = site.cached(("body", key))
    if body is None:
        body = await run_in_threadpool(site.memo, ("body", key), compute)
    return Response(body, media_type=media_type, headers={"ETag": tag, **NO_STORE})
