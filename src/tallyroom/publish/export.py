"""The whole site of one election as static files, for any file server or CDN.

The files mirror the live server's URLs (a page ``/x/`` becomes ``x/index.html``), every
link is relative, and the pages simply leave out the live event stream. The JSON
documents and downloads are the API's, byte for byte: both are made from the tables of
:mod:`tallyroom.publish.resources`.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

from sqlalchemy import Engine

from tallyroom.publish import pages, tables
from tallyroom.publish.pages import relative_url
from tallyroom.publish.resources import API, DOCUMENTS, PAGES, URLS, Document, Params
from tallyroom.publish.site import Site, to_json
from tallyroom.publish.web import create_app
from tallyroom.store.signing import public_key, signed_head

Made = Callable[[], bytes]


def documents(site: Site, election: str) -> Iterator[tuple[str, Made]]:
    """Every file of ``election``'s site: its URL path and how to make its bytes."""
    for document in DOCUMENTS:
        for params in document.each(site, election):
            path = URLS.document(document.name, **params)
            yield path, lambda d=document, p=params, at=path: _encoded(site, at, d, p)
    schema = _openapi(site.engine)
    yield f"{API}/openapi.json", lambda: to_json(schema)
    yield f"{API}/index.html", lambda: pages.render(site, pages.api_index(schema)).encode()
    yield f"{API}/audit/head", lambda: to_json(signed_head(site.engine).to_dict())
    yield f"{API}/audit/key", lambda: to_json(public_key(site.engine))
    for stage in site.stages(election):
        for name in tables.table_names(site, election, stage):
            for suffix in tables.FORMATS:
                yield (
                    URLS.download(election, stage, name, suffix),
                    lambda n=name, s=stage, x=suffix: tables.encode(site.table(election, s, n), x),
                )
    for route in PAGES:
        for params in route.each(site, election):
            yield (
                URLS.page(route.name, **params) + "index.html",
                lambda r=route, p=params: pages.render(site, pages.page(site, r.name, p)).encode(),
            )
    latest = URLS.election(election, site.latest_stage(election))
    here = URLS.election(election)
    yield here + "index.html", lambda: _redirect(relative_url(latest, here))


def _encoded(site: Site, path: str, document: Document, params: Params) -> bytes:
    """``document``'s JSON, encoded again unless the site gives the very same figures as
    last time (an electorate no new return touched: :meth:`Site.kept`)."""
    data = getattr(site, document.name)(**params)
    return site.carried(("json", path), _Same(data), lambda: to_json(data))


class _Same:
    """A version that equals another only for the very same object (equal values are not
    enough: ``1 == 1.0`` yet they encode differently); it holds the object, so its
    identity cannot pass to another while kept."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def export_site(
    site: Site, election: str, out: Path, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write ``election``'s site into ``out``; returns the number of files written."""
    found = list(documents(site, election))
    out.mkdir(parents=True, exist_ok=True)
    for done, (path, make) in enumerate(found, 1):
        target = out / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(make())
        if progress:
            progress(done, len(found))
    shutil.copytree(str(files("tallyroom.publish") / "static"), out / "static", dirs_exist_ok=True)
    return len(found)


@functools.lru_cache(maxsize=4)
def _openapi(engine: Engine) -> dict:
    """The API's OpenAPI document; it depends on the code only, so it is built once
    (building the app that makes it costs a second)."""
    return create_app(engine).openapi()


def _redirect(target: str) -> bytes:
    """A page that sends the browser on to ``target``."""
    return (
        '<!doctype html><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}">'
        f'<link rel="canonical" href="{target}"><a href="{target}">Results</a>'
    ).encode()
