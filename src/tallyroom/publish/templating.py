"""The one Jinja environment of the site's pages and the printable report, with the
filters their templates use to write figures, signed changes, names and code."""

from __future__ import annotations

import re

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from tallyroom.figures import signed
from tallyroom.names import display_name

TEMPLATES = Environment(
    loader=PackageLoader("tallyroom.publish", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["n"] = lambda value: f"{value:,}" if value is not None else "–"
TEMPLATES.filters["pct"] = lambda value: f"{value:.1f}" if value is not None else "–"
TEMPLATES.filters["signed"] = signed
TEMPLATES.filters["code"] = lambda text: Markup(
    re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text)))
)
"""`backticks` in API descriptions become code, the rest escaped."""
TEMPLATES.filters["person"] = lambda name: display_name(name) if name else name
