"""Fingerprint every file of the nz-2020 site, API and downloads, for the snapshot test.

``python tests/support/snapshot.py`` prints the fingerprints as JSON; ``--write`` stores them in
``tests/snapshots/nz-2020.json``, which ``tests/test_snapshot.py`` compares against. Run
it with ``--write`` only when a change to what the site publishes is intended, and say
so in the commit.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

from tallyroom.datasets import load_bundled
from tallyroom.publish import export
from tallyroom.publish.site import Site
from tallyroom.store.database import open_store

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "nz-2020.json"
# The signing key and the audit head depend on when the store was made, not on the code.
UNSTABLE = {"/api/v1/audit/head", "/api/v1/audit/key"}
_AUDIT = re.compile(rb'(<p class="audit">Audit log: \d+ rows, head <code>)[0-9a-f]+')


def normalise(body: bytes) -> bytes:
    """``body`` with the audit head (a hash over timestamps) blanked."""
    return _AUDIT.sub(rb"\1-", body)


def fingerprint(body: bytes) -> str:
    """The SHA-256 of ``body`` after :func:`normalise`."""
    return hashlib.sha256(normalise(body)).hexdigest()


def fingerprints(site: Site, election: str = "nz-2020") -> dict[str, str]:
    """Every exported file of ``election`` (path → fingerprint), unstable ones left out."""
    return {
        path: fingerprint(make())
        for path, make in export.documents(site, election)
        if path not in UNSTABLE
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{folder}/snapshot.db")
        load_bundled(engine, "nz-2020")
        found = dict(sorted(fingerprints(Site(engine)).items()))
        engine.dispose()
    text = json.dumps(found, indent=1) + "\n"
    if "--write" in sys.argv[1:]:
        SNAPSHOT.write_text(text)
        print(f"{len(found)} fingerprints written to {SNAPSHOT}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
