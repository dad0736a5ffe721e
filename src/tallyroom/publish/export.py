"""The whole site of one election as static files, for any file server or CDN.

The files mirror the live server's URLs (a page ``/x/`` becomes ``x/index.html``), every
link is relative, and the pages simply leave out the live event stream. The JSON
documents and downloads are the API's, byte for byte.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

from tallyroom.forecast.fitted import projectable
from tallyroom.publish import between, pages, tables
from tallyroom.publish.site import Site, to_json
from tallyroom.publish.web import create_app
from tallyroom.store.signing import public_key, signed_head


def documents(site: Site, election: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Every file of ``election``'s site: its URL path and how to make its bytes."""
    info = site.election(election)
    yield f"{pages.API}/elections.json", lambda: to_json(site.elections())
    yield f"{pages.API}/elections/{election}.json", lambda: to_json(info)
    schema = create_app(site.engine).openapi()
    yield f"{pages.API}/openapi.json", lambda: to_json(schema)
    yield f"{pages.API}/index.html", lambda: pages.render(site, pages.api_index(schema)).encode()
    yield f"{pages.API}/audit/head", lambda: to_json(signed_head(site.engine).to_dict())
    yield f"{pages.API}/audit/key", lambda: to_json(public_key(site.engine))
    for stage in site.stages(election):
        base = pages.api_path(election, stage)
        views = {
            "summary": site.summary,
            "parties": site.parties,
            "electorates": site.electorates,
            "seats": site.seats,
            "referendums": site.referendums,
        }
        for name, view in views.items():
            yield f"{base}/{name}.json", lambda view=view, s=stage: to_json(view(election, s))
        for row in site.electorates(election, stage)["electorates"]:
            number = row["number"]
            yield (
                f"{base}/electorates/{number}.json",
                lambda n=number, s=stage: to_json(site.electorate(election, s, n)),
            )
        for ref in site.referendums(election, stage):
            yield (
                f"{base}/referendums/{ref['slug']}.json",
                lambda slug=ref["slug"], s=stage: to_json(site.referendum(election, s, slug)),
            )
        for name in tables.table_names(site, election, stage):
            for suffix in tables.FORMATS:
                yield (
                    f"{base}/tables/{name}.{suffix}",
                    lambda n=name, s=stage, x=suffix: tables.encode(site.table(election, s, n), x),
                )
    if site.comparison_basis(election) is not None:
        yield (
            f"{pages.API}/elections/{election}/comparison.json",
            lambda: to_json(site.comparison(election)),
        )
    if "preliminary" in info["stages"] and projectable(election):
        yield (
            f"{pages.API}/elections/{election}/preliminary/projection.json",
            lambda: to_json(site.projection(election)),
        )
    if (earlier := pages.previous_election(site, election)) is not None:
        yield (
            between.json_path(election, earlier),
            lambda: to_json(between.between(site, earlier, election)),
        )
        since = between.since_page(site, election, earlier)
        yield since.path + "index.html", lambda: pages.render(site, since).encode()
    for page in pages.every_page(site, election):
        yield page.path + "index.html", lambda page=page: pages.render(site, page).encode()
    latest = pages.election_path(election, site.latest_stage(election))
    yield (
        pages.election_path(election) + "index.html",
        lambda: _redirect(pages.relative_url(latest, pages.election_path(election))),
    )


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


def _redirect(target: str) -> bytes:
    """A page that sends the browser on to ``target``."""
    return (
        '<!doctype html><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}">'
        f'<link rel="canonical" href="{target}"><a href="{target}">Results</a>'
    ).encode()
