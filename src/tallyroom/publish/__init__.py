"""Publishing results: server-rendered SVG charts (and, later, the website and API)."""
