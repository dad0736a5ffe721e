"""The examples in the documentation run and give what the documentation implies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.data import REPO

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))


def test_tidy_format_example(tmp_path: Path) -> None:
    text = (REPO / "docs" / "tidy-format.md").read_text(encoding="utf-8")
    files = dict(re.findall(r"`(\w+\.csv)`\n\n```csv\n(.*?)```", text, flags=re.DOTALL))
    assert set(files) == {"election.csv", "returns.csv"}
    folder = tmp_path / "demo-2026"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    subprocess.run([TALLYROOM, "import", "tidy", str(folder), "--db", url], check=True,
                   capture_output=True)  # fmt: skip
    seats = json.loads(subprocess.run([TALLYROOM, "seats", "demo-2026", "--db", url, "--json"],
                                      check=True, capture_output=True, text=True).stdout)  # fmt: skip
    assert seats["seats"] == {"Red Party": 80, "Blue Party": 40}
    assert (seats["electorate"]["Red Party"], seats["vacant"]) == (1, 0)
