"""``make bench``: run every benchmark module and print its figures (ratios against its peer).

``python -m benchmarks [--quick] [NAME ...]``: --quick runs small sizes (a smoke run).
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("names", nargs="*", help="e.g. estimators settlement (default: all)")
    args = parser.parse_args()
    here = Path(__file__).parent
    names = args.names or sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        module.main(quick=args.quick)
        print(f"({name}: {time.perf_counter() - t0:.1f} s in all)", flush=True)


if __name__ == "__main__":
    main()
