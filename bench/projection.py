"""The backtest as a benchmark: how far the projection's seats are from the declared
ones, against the two baselines scored in the same run.

For every New Zealand election 2005–2023 the model is fitted to the elections before it
and projects the final count from election night (``tallyroom project --backtest``).
Baselines: *night* (the count does not change) and *ratio* (national special/ordinary
ratios of the previous election). Printed: each method's pooled seat error, House
right, interval coverage and Brier score, and the model's seat error and Brier score
as ratios of each baseline's; the median over ``--seeds`` seeds, with the time per
backtest.

    python -m bench.projection [../shared/data] [--draws 10000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tests.support.data import shared_data_dir

from tallyroom.datasets.build_specials import read_shared_history
from tallyroom.forecast.backtest import METHODS, backtest, pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=shared_data_dir())
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    history = read_shared_history(args.data)
    runs, times = [], []
    for seed in range(args.seeds):
        start = time.perf_counter()
        scores = backtest(history, draws=args.draws, seed=seed)
        times.append(time.perf_counter() - start)
        runs.append({m: pooled(scores, m) for m in METHODS})
    print(f"backtest 2005–2023, {args.draws:,} draws, median of {args.seeds} seeds; "
          f"{statistics.median(times):.1f} s per backtest\n")  # fmt: skip
    print(f"{'method':<8}{'seat error':>12}{'House right':>13}{'seats in 80 %':>15}"
          f"{'seats in 95 %':>15}{'shares in 80 %':>16}{'Brier':>9}")  # fmt: skip
    for m in METHODS:
        med = {k: statistics.median(r[m][k] for r in runs) for k in runs[0][m] if k != "method"}
        print(f"{m:<8}{med['seat_error']:>12g}{med['house_equal']:>10g}/{med['elections']:g}"
              f"{med['seats_in_80']:>15.0%}{med['seats_in_95']:>15.0%}"
              f"{med['shares_in_80']:>16.0%}{med['brier']:>9.4f}")  # fmt: skip
    print()
    for baseline in ("night", "ratio"):
        seat = statistics.median(r["model"]["seat_error"] / r[baseline]["seat_error"] for r in runs)
        brier = statistics.median(r["model"]["brier"] / r[baseline]["brier"] for r in runs)
        print(f"model / {baseline}: seat error × {seat:.2f}, Brier × {brier:.2f}")


if __name__ == "__main__":
    main()
