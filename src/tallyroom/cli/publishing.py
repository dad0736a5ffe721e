"""Commands that publish results: serve the website and API, run the demo, export the site
and keep a static mirror of it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from tallyroom.cli.app import SITE, DbOption, app, console, guarded, progress_bar
from tallyroom.datasets import load_bundled
from tallyroom.publish.export import export_site as write_site
from tallyroom.publish.guard import BODY_LIMIT
from tallyroom.publish.logs import LOG_CONFIG
from tallyroom.publish.mirror import Mirror, Pass
from tallyroom.publish.mirror import watch as watch_mirror
from tallyroom.publish.site import Site
from tallyroom.store.database import database_url, open_store
from tallyroom.store.versions import UNIT_CEILING

HostOption = Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every one).")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]


@app.command(rich_help_panel=SITE)
def serve(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[
        int, typer.Option(help="Server processes (one per CPU core for the most requests/s).")
    ] = 1,
    unit_ceiling: Annotated[
        int,
        typer.Option(help="The most votes one return below the nation may report.", min=1),
    ] = UNIT_CEILING,
    body_limit: Annotated[
        int, typer.Option(help="The most bytes a write request's body may have.", min=1024)
    ] = BODY_LIMIT,
    json_logs: Annotated[
        bool,
        typer.Option("--json-logs", help="Log every request and error as JSON lines on stderr."),
    ] = False,
) -> None:
    """Serve the results website and JSON API of a store.

    Pages live under /elections/, the API under /api/v1/ (OpenAPI schema at
    /api/v1/openapi.json). Open pages update by themselves as new returns reach the store.
    /healthz says the server answers, /readyz that its store does (503 otherwise), and
    /metrics gives its counters in Prometheus's text format.
    """
    url = database_url(db)
    guarded(lambda: open_store(url))  # a clear error now rather than in every worker
    _check_free(host, port)
    os.environ["TALLYROOM_DB"] = url
    os.environ["TALLYROOM_UNIT_CEILING"] = str(unit_ceiling)
    os.environ["TALLYROOM_BODY_LIMIT"] = str(body_limit)
    console.print(f"Serving {url} on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(
        "tallyroom.publish.web:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        **({"log_config": LOG_CONFIG, "access_log": False} if json_logs else {}),
        timeout_graceful_shutdown=2,  # open event streams never end by themselves
    )


def _check_free(host: str, port: int) -> None:
    """Exit with one line if ``host:port`` cannot be listened on (another server has it),
    before anything says the site is being served."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as error:
        typer.echo(
            f"error: cannot listen on {host}:{port} ({error.strerror or error}); another "
            f"server may have it: pass --port {port + 1 if port < 65535 else 8000}",
            err=True,
        )
        raise typer.Exit(2) from None


@app.command(rich_help_panel=SITE)
def demo(db: DbOption = None, host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Load the bundled 2020 and 2023 New Zealand elections (once) and serve their
    results website.

    Works offline: the 2020 general election by electorate, election night and official,
    and both referendums; the 2023 general election's official count, with its party
    lists and Port Waikato's cancelled poll; both derived from the Electoral Commission's
    files.
    """

    _check_free(host, port)
    for name, title in DEMO.items():
        guarded(lambda name=name: load_bundled(open_store(db), name))
        console.print(f"{title}: http://{host}:{port}/elections/{name}/")
    serve(db=db, host=host, port=port, workers=1, json_logs=False)


DEMO = {
    "nz-2023": "The 2023 New Zealand general election",
    "nz-2020": "The 2020 New Zealand general election",
}
"""the bundled elections the demo serves, newest first"""


@app.command("export-site", rich_help_panel=SITE)
def export_site(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    out: Annotated[Path, typer.Argument(help="Folder to write the site into.")],
    db: DbOption = None,
) -> None:
    """Write an election's whole site (HTML, SVG, JSON, CSV, Parquet) as static files that
    work from any file server or CDN."""
    with progress_bar() as bar:
        task = bar.add_task("writing files", total=None)
        written = guarded(
            lambda: write_site(
                Site(open_store(db)),
                election,
                out,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
        )
    console.print(f"{written:,} files written to {out}/ (start page: elections/{election}/)")


@app.command("publish-static", rich_help_panel=SITE)
def publish_static(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2023.")],
    out: Annotated[Path, typer.Argument(help="Folder of the mirror (nginx or a CDN serves it).")],
    db: DbOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep the mirror current until stopped (Ctrl+C).")
    ] = False,
) -> None:
    """Write an election's static site (as export-site does), each file by atomic rename;
    with --watch, then rewrite only the files that change after every new return."""
    mirror = Mirror(guarded(lambda: Site(open_store(db))), election, out)

    def report(done: Pass) -> None:
        typer.echo(
            f"generation {done.generation}: {done.written:,} files written, "
            f"{done.unchanged:,} unchanged, {done.removed:,} removed in {done.seconds:.2f} s"
        )

    if not watch:
        report(guarded(mirror.update))
        return
    with contextlib.suppress(KeyboardInterrupt):
        guarded(lambda: asyncio.run(watch_mirror(mirror, report)))
