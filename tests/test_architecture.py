"""The architecture holds: the import-linter contracts of ``pyproject.toml`` are kept.

They are the one statement of the rule (entry points → services → reports, opendata, store → the
domain core; no import cycle between modules at any depth; no framework in the domain core), run
here and by ``make lint``. import-linter reads every import, those inside functions included.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd / "src")})


def test_the_import_contracts_are_kept() -> None:
    res = _lint(REPO)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in res.stdout


def test_the_contracts_catch_a_wrong_import_even_inside_a_function(tmp_path: Path) -> None:
    """The same contracts on a copy of the package where a core module imports a service inside a
    function, and a service imports the command line: both are reported."""
    src = tmp_path / "src"
    subprocess.run(["cp", "-r", str(REPO / "src"), str(src)], check=True)
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    core = src / "temoin" / "settlement" / "caps.py"
    core.write_text(core.read_text(encoding="utf-8") + textwrap.dedent('''

        def _leak() -> None:
            from temoin.services.contracts import get_contract  # noqa: F401
    '''), encoding="utf-8")
    service = src / "temoin" / "services" / "contracts.py"
    service.write_text(service.read_text(encoding="utf-8") + "\nimport temoin.cli._common  # noqa: E402,F401\n",
                       encoding="utf-8")
    res = _lint(tmp_path)
    assert res.returncode == 1
    assert "temoin.settlement.caps -> temoin.services.contracts" in res.stdout
    assert "temoin.services.contracts -> temoin.cli._common" in res.stdout
