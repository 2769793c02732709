"""Benchmarks: each ``bench_*.py`` module has ``main(quick=False)`` printing timings and ratios."""
