"""The live server's routes, one module per kind: JSON documents and downloads
(:mod:`.documents`), web pages (:mod:`.html`), the live event stream (:mod:`.live`) and
the service endpoints (:mod:`.service`). Each module exposes an ``APIRouter``; the
addresses come from :mod:`tallyroom.publish.resources`."""
