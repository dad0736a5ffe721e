"""Publishing results: the website and JSON API, the static export, downloads, the
printable report and their server-rendered SVG charts."""
