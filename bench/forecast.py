"""Simulated MMP elections per second, and the time of a whole election-night projection.

Workload: simulated New Zealand 2020 final counts, 17 parties, the 2020 party votes
with Poisson noise (×10 so that small parties cross the threshold now and then) and the
2020 electorate wins with some electorates moved between the two large parties;
120 seats, NZ rules. Baseline: a Python loop calling ``allocate_mmp`` (the exact rules
engine) on a sample of the same rows, measured in the same run; results are checked
identical on that sample.

Then a 100,000-draw projection of 2020's election night (fitted model, draws, deciding
72 electorates, allocating the House every draw), against the same number of draws
allocated one by one with ``allocate_mmp`` (estimated from a sample).
Every figure is the median of ``--repeats`` runs; the machine is shared and noisy.

    python -m bench.forecast [--rows 1000000] [--repeats 5] [--draws 100000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from tests.support.data import shared_data_dir
from tests.support.tidy2020 import read_stage

from bench.allocate import median_seconds
from tallyroom.forecast.backtest import night_count
from tallyroom.forecast.batch import allocate_mmp_batch
from tallyroom.forecast.fitted import bundled_history, model_for
from tallyroom.forecast.simulate import project
from tallyroom.rules.mmp import allocate_mmp


def simulated(rows: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``rows`` noisy copies of the 2020 official party votes and electorate wins."""
    stage = read_stage(shared_data_dir(), "official")
    parties = list(stage.party_votes)
    won = stage.electorate_seats()
    rng = np.random.default_rng(2020)
    base = np.array([stage.party_votes[p] for p in parties])
    votes = rng.poisson(base, (rows, len(parties)))
    small = base < 0.05 * base.sum()
    votes[:, small] = rng.poisson(base[small] * rng.uniform(0.2, 10, (rows, small.sum())))
    wins = np.tile([won.get(p, 0) for p in parties], (rows, 1))
    moved = rng.integers(-6, 7, rows)
    first, second = parties.index("Labour Party"), parties.index("National Party")
    wins[:, first] -= moved
    wins[:, second] += moved
    return parties, votes, wins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the baseline")
    parser.add_argument("--draws", type=int, default=100_000)
    args = parser.parse_args()

    parties, votes, wins = simulated(args.rows)
    sample = [
        (dict(zip(parties, v.tolist(), strict=True)), dict(zip(parties, w.tolist(), strict=True)))
        for v, w in zip(votes[: args.sample], wins[: args.sample], strict=True)
    ]
    print(f"{args.rows:,} simulated elections × {len(parties)} parties; median of "
          f"{args.repeats} runs\n")  # fmt: skip
    batch = args.rows / median_seconds(lambda: allocate_mmp_batch(votes, wins), args.repeats)
    loop = args.sample / median_seconds(
        lambda: [allocate_mmp(v, w) for v, w in sample], args.repeats
    )
    print(f"{'batch MMP':<28}{batch:>14,.0f} elections/s")
    print(f"{'allocate_mmp loop (baseline)':<28}{loop:>14,.0f} elections/s")
    print(f"{'ratio':<28}{batch / loop:>14,.0f} ×")
    check = allocate_mmp_batch(votes[: args.sample], wins[: args.sample])
    for i, (v, w) in enumerate(sample):
        one = allocate_mmp(v, w)
        if [one.seats().get(p, 0) for p in parties] != check.seats[i].tolist():
            sys.exit(f"MISMATCH in row {i}")
    print(f"identical to allocate_mmp on {args.sample:,} rows\n")

    history = bundled_history()
    count = night_count(history, 2020)
    fitted = median_seconds(lambda: model_for.__wrapped__("nz-2020"), args.repeats)
    model = model_for("nz-2020")
    whole = median_seconds(lambda: project(count, model, draws=args.draws), args.repeats)
    per_draw = median_seconds(lambda: [allocate_mmp(v, w) for v, w in sample[:500]], 1) / 500
    print(f"2020 election night, {args.draws:,}-draw projection: {whole:.2f} s "
          f"(model fit {fitted:.2f} s)")  # fmt: skip
    print(f"baseline, the same draws allocated one by one with allocate_mmp: "
          f"{per_draw * args.draws:.1f} s (allocation alone; {per_draw * args.draws / whole:,.0f}× "
          "the whole projection)")  # fmt: skip


if __name__ == "__main__":
    main()
