"""What the site publishes for nz-2020 is pinned: every JSON document, download and page
of both stages, the OpenAPI document, as exported and as the live API serves them, equal
the fingerprints in ``tests/snapshots/nz-2020.json``. A refactor must leave them all
unchanged; an intended change rewrites them with ``python tests/support/snapshot.py
--write`` in the same commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tallyroom.datasets import load_bundled
from tallyroom.publish.site import Site
from tallyroom.publish.web import create_app
from tallyroom.store.database import open_store
from tests.support.snapshot import SNAPSHOT, fingerprint, fingerprints


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('snapshot') / 'store.db'}")
    load_bundled(engine, "nz-2020")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pinned() -> dict[str, str]:
    return json.loads(Path(SNAPSHOT).read_text())


def _differences(found: dict[str, str], pinned: dict[str, str]) -> list[str]:
    missing = sorted(set(pinned) - set(found))
    extra = sorted(set(found) - set(pinned))
    changed = sorted(p for p in set(found) & set(pinned) if found[p] != pinned[p])
    return (
        [f"missing {p}" for p in missing]
        + [f"new {p}" for p in extra]
        + [f"changed {p}" for p in changed]
    )


def test_export_is_unchanged(engine, pinned: dict[str, str]) -> None:
    assert len(pinned) > 300
    assert _differences(fingerprints(Site(engine)), pinned) == []


def test_live_api_serves_the_pinned_bytes(engine, pinned: dict[str, str]) -> None:
    """Every JSON document and download, fetched from the running app, as pinned."""
    api = {
        p: h for p, h in pinned.items() if p.startswith("/api/v1/") and "." in p.rsplit("/", 1)[1]
    }
    api.pop("/api/v1/index.html")
    assert any(p.endswith(".parquet") for p in api) and any(p.endswith(".csv") for p in api)
    with TestClient(create_app(engine)) as client:
        found = {}
        for path in api:
            response = client.get(path)
            assert response.status_code == 200, path
            found[path] = fingerprint(response.content)
    assert _differences(found, api) == []
