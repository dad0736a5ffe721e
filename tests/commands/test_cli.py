"""The ``tallyroom`` command as a user runs it: the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tidy2020 import read_stage

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TALLYROOM, *args], capture_output=True, text=True, encoding="utf-8", timeout=60
    )


def as_option(counts: dict[str, int]) -> str:
    return ",".join(f"{name}={count}" for name, count in counts.items())


@pytest.fixture(scope="module")
def official(shared_data: Path):
    return read_stage(shared_data, "official")


def test_allocate_2020_official_json(official) -> None:
    done = run("allocate", "--votes", as_option(official.party_votes),
               "--electorates", as_option(official.electorate_seats()), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["seats"] == {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                               "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip
    assert result["list"]["Māori Party"] == 1 and result["electorate"]["Labour Party"] == 46
    assert (result["house_size"], result["overhang"], result["vacant"], result["ties"]) == (
        120, 0, 0, [],
    )  # fmt: skip


def test_allocate_reads_csv_files_with_bom(official, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    lines = ["party,votes", *(f'"{p}",{v}' for p, v in official.party_votes.items())]
    votes.write_text("\n".join(lines), encoding="utf-8-sig")
    won = tmp_path / "won.csv"
    won.write_text("\n".join(f"{p},{n}" for p, n in official.electorate_seats().items()))
    done = run("allocate", "--votes", f"@{votes}", "--electorates", f"@{won}")
    assert done.returncode == 0, done.stderr
    labour = next(line for line in done.stdout.splitlines() if "Labour Party" in line)
    assert labour.split("│")[-2].strip() == "65"
    assert "✓ Māori Party" in done.stdout and "House of 120" in done.stdout


def test_allocate_with_options_and_tie() -> None:
    done = run("allocate", "--votes", "A=10,B=10,C=10", "--seats", "2", "--threshold", "0")
    assert done.returncode == 0
    assert "TIE for 2 seat(s) between A / B / C (use --lot to draw)" in " ".join(
        done.stdout.split()
    )
    drawn = json.loads(run("allocate", "--votes", "A=10,B=10,C=10", "--seats", "2",
                           "--lot", "5", "--json").stdout)  # fmt: skip
    assert sum(drawn["seats"].values()) == 2 and len(drawn["ties"][0]["lot_winners"]) == 2
    dhondt = json.loads(run("allocate", "--votes", "A=700,B=200,C=100", "--seats", "7",
                            "--method", "dhondt", "--json").stdout)  # fmt: skip
    assert dhondt["seats"] == {"A": 6, "B": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--votes", "A=-5"], "error: --votes: entry 1: count for 'A' is negative (-5)"),
        (["--votes", "A=1,B=many"], "error: --votes: entry 2: count for 'B' is 'many', not a whole number"),
        (["--votes", "A1"], "error: --votes: entry 1 'A1' is not of the form Name=count"),
        (["--votes", "A=1", "--electorates", "Z=1"], "error: electorate seats given for 'Z', which is not on the party ballot"),
        (["--votes", "@/no/such.csv"], "error: --votes: file /no/such.csv not found"),
        (["--votes", "A=1", "--method", "borda"], "error: unknown apportionment method 'borda'"),
        (["--votes", "A=1", "--rules", "mars"], "error: unknown rule set 'mars'"),
        (["--votes", "A=0"], "error: no party has any party votes"),
    ],
)  # fmt: skip
def test_bad_input_prints_one_line_and_exits_2(args: list[str], message: str) -> None:
    done = run("allocate", *args)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_bad_csv_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text("party,votes\nA,5\nB,5,6\n")
    done = run("allocate", "--votes", f"@{path}")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {path}, line 3: expected 2 columns (name,count), got 3"


def test_rules_command_lists_and_shows() -> None:
    listing = run("rules")
    assert listing.returncode == 0 and "nz-review-2023" in listing.stdout
    nz = json.loads(run("rules", "nz", "--json").stdout)
    assert nz["threshold"] == "0.05" and nz["seats"] == 120


@pytest.mark.parametrize("command", [[], ["allocate"], ["rules"]])
def test_every_command_has_help(command: list[str]) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0 and "Usage: tallyroom" in done.stdout


def test_version() -> None:
    assert run("--version").stdout.startswith("tallyroom ")
