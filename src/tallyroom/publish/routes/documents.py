"""The API's JSON documents, one route per row of
:data:`~tallyroom.publish.resources.DOCUMENTS`, and the table downloads."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tallyroom.model import Stage
from tallyroom.publish import schemas, tables
from tallyroom.publish.resources import API, DOCUMENTS, DOWNLOADS, Document, parameters
from tallyroom.publish.routes.shared import (
    Earlier,
    ElectionId,
    Number,
    SiteDep,
    Slug,
    TableName,
    serve,
)
from tallyroom.publish.site import to_json

router = APIRouter()

_PARAMETER_TYPES = {
    "election": ElectionId,
    "stage": Stage,
    "number": Number,
    "slug": Slug,
    "earlier": Earlier,
}
"""How each path parameter of a document is read and documented."""


def _endpoint(document: Document) -> Callable[..., Awaitable[Response]]:
    """The route function of ``document``: its path parameters, typed, and the site."""

    async def endpoint(site: SiteDep, **params: Any) -> Response:
        view = getattr(site, document.name)
        return await serve(
            site,
            ("json", document.name, *params.values()),
            lambda: to_json(view(**params)),
            "application/json",
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, keyword, annotation=_PARAMETER_TYPES[name])
         for name in parameters(document.path)]
        + [inspect.Parameter("site", keyword, annotation=SiteDep)],
        return_annotation=Response,
    )  # fmt: skip
    endpoint.__name__ = document.name
    endpoint.__doc__ = document.doc
    return endpoint


for _document in DOCUMENTS:
    router.add_api_route(
        API + _document.path,
        _endpoint(_document),
        methods=["GET"],
        summary=_document.summary,
        response_class=Response,
        responses={200: {"model": _document.schema}, 404: {"model": schemas.Problem}},
        tags=["results"],
    )


async def _download(site: SiteDep, election: str, stage: Stage, name: str, suffix: str) -> Response:
    response = await serve(
        site,
        (suffix, election, stage, name),
        lambda: tables.encode(site.table(election, stage, name), suffix),
        tables.MEDIA_TYPES[suffix],
    )
    filename = f"{election}-{stage.value}-{name}.{suffix}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    API + DOWNLOADS.replace("{suffix}", "csv"),
    tags=["downloads"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 404: {"model": schemas.Problem}},
)
async def table_csv(election: ElectionId, stage: Stage, name: TableName, site: SiteDep) -> Response:
    """A table as CSV, formula-like cells neutralised."""
    return await _download(site, election, stage, name, "csv")


@router.get(
    API + DOWNLOADS.replace("{suffix}", "parquet"),
    tags=["downloads"],
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}}},
        404: {"model": schemas.Problem},
    },
)
async def table_parquet(
    election: ElectionId, stage: Stage, name: TableName, site: SiteDep
) -> Response:
    """A table as Parquet."""
    return await _download(site, election, stage, name, "parquet")
