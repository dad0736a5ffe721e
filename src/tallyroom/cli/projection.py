"""``tallyroom project``: where the seats will land once the special votes are counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tallyroom.cli.app import ANALYSIS, DataTable, DbOption, JsonOption, app, console, guarded
from tallyroom.forecast.backtest import METHODS, Score, backtest, document, pooled
from tallyroom.forecast.simulate import DEFAULT_DRAWS
from tallyroom.model import Stage
from tallyroom.publish.site import dumped
from tallyroom.publish.views import projection
from tallyroom.results import tally
from tallyroom.store.database import open_store

BACKTEST_DRAWS = 10_000


@app.command(rich_help_panel=ANALYSIS)
def project(
    election: Annotated[
        str | None, typer.Argument(help="Election id, e.g. nz-2020 (not with --backtest).")
    ] = None,
    specials: Annotated[
        int | None,
        typer.Option(help="Special votes expected (default: the last election's rate)."),
    ] = None,
    draws: Annotated[int, typer.Option(help="Simulated counts (1 to 1,000,000).")] = DEFAULT_DRAWS,
    seed: Annotated[int, typer.Option(help="Seed of the draws (≥ 0).")] = 0,
    run_backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Project every election 2005–2023 from its night, fitted to earlier "
            "elections only, and score it against the declared result and two baselines.",
        ),
    ] = False,
    data: Annotated[
        Path,
        typer.Option(envvar="TALLYROOM_SHARED_DATA", help="The shared data (for --backtest)."),
    ] = Path("../shared/data"),
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Project the final count from election night's ordinary votes: each party's votes
    and seats (most likely, 80 % and 95 % intervals), electorates that may change hands,
    the House size and bloc majorities."""
    if run_backtest:
        _backtest(data, draws if draws != DEFAULT_DRAWS else BACKTEST_DRAWS, seed, as_json)
        return
    if election is None:
        typer.echo(
            "error: name the election to project (e.g. nz-2020), or pass --backtest", err=True
        )
        raise typer.Exit(2)
    result = guarded(
        lambda: dumped(
            projection(
                tally(open_store(db), election, Stage.PRELIMINARY),
                specials=specials,
                draws=draws,
                seed=seed,
            )
        )
    )
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    _print(result)


def _print(result: dict[str, Any]) -> None:
    house = result["house"]
    table = DataTable(
        title=f"{result['election']}: projected final count ({result['progress']['text']})",
        caption=f"{result['draws']:,} draws, seed {result['seed']}; "
        f"{result['specials']['expected']:,} special votes expected. House of "
        f"{house['most_likely']} (80 %: {house['p80'][0]}–{house['p80'][1]}).",
    )
    table.add_columns("Party", "Votes %", "80 %", "Seats", "80 %", "95 %")
    for p in result["parties"]:
        share, seats = p["share"], p["seats"]
        if seats["p95"][1] == 0 and share["most_likely"] < 1:
            continue
        table.add_row(
            p["party"],
            f"{share['most_likely']:.2f}",
            f"{share['p80'][0]:.2f}–{share['p80'][1]:.2f}",
            str(seats["most_likely"]),
            f"{seats['p80'][0]}–{seats['p80'][1]}",
            f"{seats['p95'][0]}–{seats['p95'][1]}",
        )
    console.print(table)
    flips = DataTable(title="Electorates that may change hands")
    flips.add_columns("Electorate", "Ahead now", "Chance it changes hands", left=2)
    for e in sorted(result["electorates"], key=lambda e: -e["flip_probability"]):
        if e["flip_probability"] >= 0.01:
            flips.add_row(e["name"], f"{e['leader_now']} ({e['leader_party']})",
                          f"{100 * e['flip_probability']:.0f} %")  # fmt: skip
    console.print(flips)
    blocs = DataTable(title="Chance of a majority")
    blocs.add_columns("Bloc", "Chance")
    for b in result["blocs"]:
        blocs.add_row(" + ".join(b["parties"]), f"{100 * b['majority_probability']:.0f} %")
    console.print(blocs)


def _backtest(data: Path, draws: int, seed: int, as_json: bool) -> None:
    from tallyroom.datasets.build_specials import read_shared_history

    history = guarded(lambda: _read(data, read_shared_history))
    scores = guarded(lambda: backtest(history, draws=draws, seed=seed))
    if as_json:
        typer.echo(json.dumps(document(scores, draws, seed), ensure_ascii=False, indent=2))
        return
    console.print(backtest_table(scores, draws))


def _read(data: Path, reader: Any) -> Any:
    if not (data / "nz").is_dir():
        raise FileNotFoundError(f"{data}: no nz/ directory (pass --data ../shared/data)")
    return reader(data)


def backtest_table(scores: list[Score], draws: int) -> DataTable:
    """One row per election and method, then each method pooled."""
    table = DataTable(
        title=f"Backtest: final count projected from election night ({draws:,} draws)",
        caption="seat error: sum over parties of the distance between most likely and "
        "declared seats; 80 %/95 %: declared party seats inside the interval; Brier: "
        "electorates changing hands",
    )
    table.add_columns("Election", "Method", "Seat error", "House right", "Seats in 80 %",
                      "Seats in 95 %", "Shares in 80 %", "Brier", "Flips", left=2)  # fmt: skip
    for s in scores:
        table.add_row(
            str(s.year), s.method, str(s.seat_error), "yes" if s.house_equal else "no",
            f"{s.covered80[0]}/{s.covered80[1]}", f"{s.covered95[0]}/{s.covered95[1]}",
            f"{s.share80[0]}/{s.share80[1]}", f"{s.brier:.4f}", str(s.flips),
        )  # fmt: skip
    for m in METHODS:
        p = pooled(scores, m)
        table.add_row(
            "pooled", m, str(p["seat_error"]), f"{p['house_equal']}/{p['elections']}",
            f"{p['seats_in_80']:.0%}", f"{p['seats_in_95']:.0%}", f"{p['shares_in_80']:.0%}",
            f"{p['brier']:.4f}", "",
        )  # fmt: skip
    return table
