"""The command line answers at once: ``temoin --help`` and ``temoin contract check FILE`` against
the time Python takes to start and import Typer and Rich (the floor of any Typer command line).

Each is a fresh process, timed in turn, round after round (best of each). Targets: ``--help``
within 3× the floor, ``contract check`` within 6×.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks._timing import best_of_each

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
TARGETS = {"temoin --help": 3.0, "temoin contract check aemo-renforcee.yaml": 6.0}


def _run(*args: str, ok: tuple[int, ...] = (0,)) -> None:
    res = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if res.returncode not in ok:
        raise RuntimeError(res.stderr[-2000:])


def main(quick: bool = False) -> None:
    rounds = 3 if quick else 10
    times = best_of_each({
        "python -c 'import typer, rich'": lambda: _run("-c", "import typer, rich"),
        "temoin --help": lambda: _run("-m", "temoin.cli", "--help"),
        # exit 0: the bundled contract passes every error-level safeguard
        "temoin contract check aemo-renforcee.yaml": lambda: _run("-m", "temoin.cli", "contract", "check", str(EXAMPLE)),
    }, rounds)
    floor = times.pop("python -c 'import typer, rich'")
    print(f"{'command':<45} {'best':>8} {'× floor':>8} {'target':>8}")
    print(f"{'python -c import typer, rich (the floor)':<45} {floor * 1000:>6.0f} ms {1:>8.1f}")
    for name, t in times.items():
        ratio = t / floor
        verdict = "met" if ratio <= TARGETS[name] else "NOT MET"
        print(f"{name:<45} {t * 1000:>6.0f} ms {ratio:>8.1f} {f'≤ {TARGETS[name]:g}×':>8}  {verdict}")
