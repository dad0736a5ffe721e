"""A static mirror of one election's site, kept current as the count goes on.

The mirror holds exactly what ``export-site`` writes (:func:`~tallyroom.publish.export.
documents`). It is written whole once; then, after each new store generation, every
document is made again and only those whose bytes changed are written. Each file is
written beside its place under a temporary name and renamed over the old one, so a reader
(nginx, a CDN pulling from it, a person) gets the old file or the new one, never part of
one. The mirror follows the store as the app servers do (:func:`~tallyroom.publish.
follow.follow`: notified on PostgreSQL, polling on SQLite).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from tallyroom.publish.export import documents
from tallyroom.publish.follow import follow
from tallyroom.publish.site import Site, store_generation


@dataclass(frozen=True)
class Pass:
    """What one pass over the mirror did."""

    generation: int
    written: int
    unchanged: int
    removed: int
    seconds: float


ATTEMPTS = 3
"""passes made again at most when the store changes while one is being made"""


class Mirror:
    """The files of ``election``'s site under ``out``, and the digest of each as last
    written (so a pass compares new bytes with a digest, not with the file on disk)."""

    def __init__(self, site: Site, election: str, out: Path) -> None:
        self.site = site
        self.election = election
        self.out = out
        self.digests: dict[Path, bytes] = {}

    def update(self) -> Pass:
        """Make every document of the store as it is now and write those that differ from
        what the mirror holds; files the site no longer has are removed.

        The documents are all made before any is written, and written only if the store
        did not change meanwhile (else they are made again), so every file of a pass is
        of one generation. Under returns arriving faster than a pass, the last of
        :data:`ATTEMPTS` is written as it is: the pass after it, at once, makes it whole.
        """
        started = time.perf_counter()
        for attempt in range(ATTEMPTS):
            generation = self.site.generation
            wanted, changed = self._made()
            if store_generation(self.site.engine) == generation or attempt == ATTEMPTS - 1:
                break  # (after the last attempt the site is not refreshed: the next pass is)
            self.site.refresh()
        for relative, (body, digest) in changed.items():
            write_atomically(self.out / relative, body)
            self.digests[relative] = digest
        gone = set(self.digests) - wanted
        for relative in gone:
            (self.out / relative).unlink(missing_ok=True)
            del self.digests[relative]
        seconds = time.perf_counter() - started
        return Pass(generation, len(changed), len(wanted) - len(changed), len(gone), seconds)

    def _made(self) -> tuple[set[Path], dict[Path, tuple[bytes, bytes]]]:
        """Every file the site has now, and the bytes and digest of those that changed."""
        site, election = self.site, self.election
        made = [(Path(path.lstrip("/")), make) for path, make in documents(site, election)]
        made += _static_files()
        changed = {}
        for relative, make in made:
            body = make()
            digest = hashlib.blake2b(body, digest_size=16).digest()
            if self.digests.get(relative) != digest:
                changed[relative] = (body, digest)
        return {relative for relative, _ in made}, changed


def write_atomically(target: Path, body: bytes) -> None:
    """Replace ``target`` by ``body`` in one rename: readers see the old file or the new."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(body)
    os.replace(temporary, target)


def _static_files() -> list[tuple[Path, Callable[[], bytes]]]:
    """The site's stylesheet, script and icon, as ``export-site`` copies them."""
    with as_file(files("tallyroom.publish") / "static") as folder:
        return [
            (Path("static") / path.relative_to(folder), path.read_bytes)
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        ]


async def watch(mirror: Mirror, report: Callable[[Pass], None]) -> None:
    """Write the whole mirror, then update it after every new store generation, until
    cancelled; ``report`` hears of every pass."""
    report(await asyncio.to_thread(mirror.update))

    async def check() -> None:
        if await asyncio.to_thread(mirror.site.refresh):
            report(await asyncio.to_thread(mirror.update))

    await follow(mirror.site.engine, check)
