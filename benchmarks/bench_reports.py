"""Report benchmarks, each as a ratio against a peer measured in the same run.

* drawing the SVG charts (love plot of many attributes, investor flows, waterfall, CONSORT flow)
  against parsing the very same SVG documents with ``xml.etree.ElementTree`` (what any reader of
  them pays at least);
* printing the transparency report to PDF (``render_pdf``) against WeasyPrint on the same HTML with
  the charts taken out (what the charts add to printing);
* gathering the report from the database (``build_report``) against ``settle`` alone on the same
  contract and results (what the reads, checks and charts add to the core computation).

Run: ``python -m benchmarks reports`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from benchmarks._timing import best_of
from temoin.settings import Settings

SETTINGS = Settings()  # as an entry point would pass them

CONTRACT = "aemo-renforcee"


def _populated_engine(folder: Path) -> Any:
    from temoin.demo.evaluation import write_cohort_files
    from temoin.evaluation.pseudonym import contract_key, pseudonymise
    from temoin.examples import example_path
    from temoin.services import evaluations as ev
    from temoin.services import governance
    from temoin.services import settlements as st
    from temoin.services.contracts import import_contract
    from temoin.store import make_engine, migrate, session_scope

    eng = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate(eng)
    import_contract(eng, example_path(CONTRACT), actor="bench")
    path, cohort = write_cohort_files(folder)
    ev.import_participants(eng, CONTRACT, path, actor="bench", settings=SETTINGS)
    ev.lock_plan(eng, CONTRACT, actor="bench")
    ev.randomise_cohort(eng, CONTRACT, seed=1, actor="bench")
    with session_scope(eng) as s:
        frame = ev.participants_frame(s, CONTRACT)
    key = contract_key(CONTRACT, master=SETTINGS.pseudonym_master)
    arm_by_key = dict(zip(frame["pkey"], frame["arm"], strict=True))
    arms = {pid: int(arm_by_key[pseudonymise(pid, CONTRACT, key=key)]) for pid in cohort.enrolled["participant_id"]}
    for wave in ("m12", "m24"):
        wpath = folder / f"{wave}.csv"
        cohort.outcomes(wave, arms).to_csv(wpath, index=False)
        ev.import_outcomes(eng, CONTRACT, wave, wpath, actor="bench", settings=SETTINGS)
    ev.evaluate_contract(eng, CONTRACT, actor="bench")
    st.run_settlement(eng, CONTRACT, actor="bench")
    budget = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "budgets" / "nord.csv"
    governance.import_budget(eng, budget, actor="bench")
    return eng


def _charts(settlement: Any, n_attributes: int) -> list[str]:
    from temoin.reports import charts

    rows = [{"attribute": f"attribut_{i}", "effect_size": ((i * 37) % 61 - 30) / 100} for i in range(n_attributes)]
    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 360, "control": 356}]}
    return [charts.love_plot(rows, lang="fr"), charts.investor_flows(settlement.investors, lang="fr"),
            charts.settlement_waterfall(settlement, lang="fr"), charts.consort(flow, lang="fr"),
            charts.public_cost_chart(settlement.public_cost, lang="fr")]


def main(quick: bool = False) -> None:
    from weasyprint import HTML

    from temoin.reports.report import render_html, render_pdf
    from temoin.services.contracts import get_contract
    from temoin.services.evaluations import latest_results
    from temoin.services.reports import build_report
    from temoin.settlement import settle
    from temoin.store import session_scope

    repeat = 2 if quick else 5
    n_attr = 40 if quick else 200
    rows: list[tuple[str, float, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        eng = _populated_engine(Path(tmp))
        stored = get_contract(eng, CONTRACT)
        with session_scope(eng) as s:
            results = latest_results(s, CONTRACT)
        settlement = settle(stored.contract, results, contract_version=stored.version)

        svgs = _charts(settlement, n_attr)
        t_draw = best_of(lambda: _charts(settlement, n_attr), repeat * 4)
        t_parse = best_of(lambda: [ET.fromstring(x) for x in svgs], repeat * 4)
        rows.append((f"5 charts drawn (love plot of {n_attr} attributes)", t_draw, "ElementTree parse of the same SVG", t_parse))

        t_build = best_of(lambda: build_report(eng, CONTRACT, settings=SETTINGS), repeat)
        t_settle = best_of(lambda: settle(stored.contract, results, contract_version=stored.version), repeat)
        rows.append(("build_report (DB, evaluation, settlement, budget, 8 charts)", t_build, "settle() alone", t_settle))

        data = build_report(eng, CONTRACT, public=True, settings=SETTINGS)
        html = render_html(data)
        bare = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
        pdf_repeat = 1 if quick else 3
        t_pdf = best_of(lambda: render_pdf(data), pdf_repeat)
        t_bare = best_of(lambda: HTML(string=bare).write_pdf(), pdf_repeat)
        rows.append(("render_pdf (8 SVG charts)", t_pdf, "WeasyPrint, same HTML without charts", t_bare))
        eng.dispose()

    print(f"{'measure':<62} {'time':>9}   {'peer':<40} {'time':>9} {'ratio':>7}")
    for name, t, peer, tp in rows:
        print(f"{name:<62} {t * 1000:>7.1f}ms   {peer:<40} {tp * 1000:>7.1f}ms {t / tp:>6.2f}x")


if __name__ == "__main__":
    main()
