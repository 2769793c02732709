"""Issue 17, item 5: power, MDE and the design diagnosis under an expected enrolment curve — each
payment period judged on the people due by its end date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from statsmodels.stats.power import TTestIndPower
from tests.test_cohorts_cli import cli_sqlite, runner  # noqa: F401  (the fixture)
from tests.test_cohorts_cli import ok as _ok
from tests.test_enrolment_rolling import C, rolling_yaml

from temoin.cli import app
from temoin.contract.loading import parse_contract
from temoin.errors import InvalidInputError
from temoin.evaluation.enrolment_curve import EnrolmentCurve, curve_for_contract, period_samples
from temoin.evaluation.power import power_for_contract
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract

EN, FR = Translator("en"), Translator("fr")


def ok(*args: str) -> str:
    """The command's output with Rich's line wrapping undone."""
    return " ".join(_ok(*args).split())
CLOSES = dt.date(2027, 3, 31)
"""Later than the rolling tests' date: people enrolled after 30 June 2026 are not due at 12 months by p1's end (30 June 2027)."""


def _by_hand(opens: dt.date, closes: dt.date, per_month: list[float], end: dt.date, months: int) -> float:
    """The people due, day by day, with dateutil's calendar months (an independent count)."""
    total, day, k = 0.0, opens, 0
    month_start = opens
    while day <= closes:
        if (day.year, day.month) != (month_start.year, month_start.month):
            month_start, k = day, k + 1
        last = min(closes, (dt.date(day.year, day.month, 1) + relativedelta(months=1)) - dt.timedelta(days=1))
        first = max(opens, dt.date(day.year, day.month, 1))
        rate = per_month[min(k, len(per_month) - 1)] / ((last - first).days + 1)
        if day + relativedelta(months=months) <= end:
            total += rate
        day += dt.timedelta(days=1)
    return total


@pytest.mark.parametrize("per_month", [[10.0], [2.0, 5.0, 10.0], [0.0, 0.0, 30.0, 50.0]])
def test_the_people_due_by_a_date_are_counted_as_dateutil_counts_them(per_month: list[float]) -> None:
    opens, closes = dt.date(2025, 1, 15), dt.date(2026, 5, 20)
    curve = EnrolmentCurve(opens, closes, tuple(per_month))
    for end, months in [(dt.date(2026, 6, 30), 12), (dt.date(2027, 2, 28), 12), (dt.date(2027, 12, 31), 24), (dt.date(2030, 1, 1), 12)]:
        assert curve.due_by(end, months) == pytest.approx(_by_hand(opens, closes, per_month, end, months), abs=1e-9)
    assert curve.due_by(dt.date(2030, 1, 1), 12) == pytest.approx(curve.total)
    # the whole count: full months at their figure, the first and last months as given
    assert curve.total == pytest.approx(sum(per_month[min(i, len(per_month) - 1)] for i in range(17)))


def test_a_bad_curve_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInputError) as exc:
        EnrolmentCurve(dt.date(2025, 1, 1), dt.date(2024, 1, 1), (10.0,))
    assert exc.value.path == "closes" and "avant son ouverture" in FR.error(exc.value)
    with pytest.raises(InvalidInputError) as exc:
        EnrolmentCurve(dt.date(2025, 1, 1), dt.date(2026, 1, 1), (0.0,))
    assert exc.value.path == "per_month" and "people per month" in EN.error(exc.value)


def test_each_period_is_powered_on_the_people_due_by_its_end_date_as_statsmodels_computes_it() -> None:
    c = parse_contract(rolling_yaml(CLOSES))
    steady = curve_for_contract(c)  # the expected size spread over the months from the start date to the closing date
    assert (steady.opens, steady.closes) == (c.start_date, CLOSES) and steady.total == pytest.approx(800)
    slow = curve_for_contract(c, per_month=[5, 10, 20, 800 / 27])  # a slow start, then the steady pace
    for curve in (steady, slow):
        rep = power_for_contract(c, curve=curve)
        assert [p.period for p in rep.periods] == ["p1", "p2"]
        samples = period_samples(c, curve)
        for p, s in zip(rep.periods, samples, strict=True):
            assert p.n == int(np.floor(s.due + 1e-9)) and p.n + p.not_yet_due == round(curve.total)
            n1 = p.n * (1 - 0.08) * 0.5  # attrition 8 %, half in the programme
            expected = TTestIndPower().power(effect_size=45 / 200, nobs1=n1, ratio=1.0, alpha=0.05, alternative="larger")
            assert p.power == pytest.approx(expected, rel=1e-6)
            d = TTestIndPower().solve_power(nobs1=n1, ratio=1.0, alpha=0.05, power=0.8, alternative="larger")
            assert p.mde == pytest.approx(d * 200, rel=1e-5)
        # p1 (m12 by 30 June 2027) and p2 (m24 by 30 June 2028) both leave out the people enrolled after 30 June 2026
        assert rep.periods[0].not_yet_due > 0 and rep.periods[0].n == rep.periods[1].n
    # steady: 800 people over the 27 months from January 2025 to March 2027; 18 of them by June 2026
    assert power_for_contract(c, curve=steady).periods[0].n == int(800 * 18 / 27)
    slow_p1 = power_for_contract(c, curve=slow).periods[0]
    steady_p1 = power_for_contract(c, curve=steady).periods[0]
    assert slow_p1.n < steady_p1.n and slow_p1.power < steady_p1.power and slow_p1.mde > steady_p1.mde  # type: ignore[operator]


def test_the_diagnosis_simulates_the_people_due_and_a_slow_start_misses_more_payments(sqlite_engine: Engine) -> None:
    import_contract(sqlite_engine, rolling_yaml(dt.date(2028, 3, 31)), actor="test")
    from temoin.services.contracts import get_contract

    c = get_contract(sqlite_engine, C).contract
    steady = curve_for_contract(c, per_month=[30])
    slow = curve_for_contract(c, per_month=[3, 6, 12, 20, 30])
    a = ev.diagnose(sqlite_engine, C, sims=600, curve=steady, seed=7)
    b = ev.diagnose(sqlite_engine, C, sims=600, curve=slow, seed=7)
    last = period_samples(c, steady)[-1]
    assert (last.period, last.wave) == ("p2", "m24")
    assert a.n == int(last.due + 1e-9) < int(steady.total) and b.n == int(period_samples(c, slow)[-1].due + 1e-9) < a.n
    said = EN.render(a.assumptions[-1])
    assert f"{a.n} due at wave m24 by the end of period p2 (30 June 2028)" in said
    assert f"{int(steady.total) - a.n} not yet due and left out" in said
    assert "pas encore dus" in FR.render(a.assumptions[-1])
    at = {e.true_effect: e for e in a.effects}
    bt = {e.true_effect: e for e in b.effects}
    assert bt[45.0].power < at[45.0].power and bt[45.0].p_unpaid > at[45.0].p_unpaid


def test_power_and_diagnosis_take_the_curve_on_the_command_line(cli_sqlite: Engine, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "c.yaml").write_text(rolling_yaml(CLOSES), encoding="utf-8")
    ok("contract", "import", str(tmp_path / "c.yaml"))
    c = parse_contract(rolling_yaml(CLOSES))
    slow = curve_for_contract(c, per_month=[5, 10, 20, 30])
    p1 = power_for_contract(c, curve=slow).periods[0]
    said = ok("--lang", "fr", "power", C, "--per-month", "5, 10, 20, 30")
    assert (f"Période p1 (vague de suivi m12, fin le 30 juin 2027) : {FR.number(p1.n)} personnes dues, "
            f"{FR.number(p1.not_yet_due)} pas encore dues ; puissance {FR.share(p1.power)}").replace("\xa0", " ") in said  # type: ignore[arg-type]
    out = json.loads(_ok("power", C, "--per-month", "30", "--closes", "2026-12-31", "--json"))
    assert [p["n"] for p in out["periods"]] == [540, 540] and out["n"] == 720  # 24 months × 30; 18 of them by June 2026
    said = ok("--lang", "en", "diagnose", C, "--sims", "200", "--per-month", "30")
    assert "810 in all): 540 due at wave m24 by the end of period p2 (30 June 2028), 270 not yet due and left out" in said
    bad = runner.invoke(app, ["--lang", "fr", "power", C, "--per-month", "dix"])
    assert bad.exit_code != 0 and "Nombre de personnes par mois invalide" in " ".join(bad.output.split())


def test_the_diagnosis_page_takes_the_expected_enrolment(sqlite_engine: Engine) -> None:
    import html

    from test_web_support import make_site

    site = make_site(sqlite_engine)
    import_contract(sqlite_engine, rolling_yaml(CLOSES), actor="test")
    payer = site.signed_in("payer", lang="fr")
    page = payer.get(f"/contracts/{C}/diagnosis")
    assert page.status_code == 200 and 'name="per_month"' in page.text and "Inclusion attendue (facultatif)" in html.unescape(page.text)
    from temoin.services import jobs
    from temoin.services.job_kinds import KINDS
    from temoin.settings import Settings
    from test_web_support import csrf_of

    token = csrf_of(payer, f"/contracts/{C}/diagnosis")
    asked = payer.post(f"/contracts/{C}/diagnosis", data={"csrf_token": token, "sims": "1000", "per_month": "5, 10, 20, 30"},
                       follow_redirects=False)
    assert asked.status_code == 303, asked.text
    while jobs.run_next(sqlite_engine, Settings(), "test", KINDS) is not None:  # the diagnosis runs as a job
        pass
    r = payer.get(asked.headers["location"])
    assert r.status_code == 200, r.text
    said = " ".join(html.unescape(r.text).replace("\xa0", " ").split())
    c = parse_contract(rolling_yaml(CLOSES))
    samples = period_samples(c, curve_for_contract(c, per_month=[5, 10, 20, 30]))
    due = int(samples[-1].due + 1e-9)
    assert "Personnes dues à chaque période de paiement avec l'inclusion attendue" in said
    assert f"1 000 essais simulés de {due} personnes" in said
    assert f"{due} dus à la vague de suivi m24 à la fin de la période p2 (30 juin 2028)" in said
    bad = payer.post(f"/contracts/{C}/diagnosis", data={"csrf_token": token, "sims": "1000", "per_month": "dix"})
    assert bad.status_code == 422 and "Nombre de personnes par mois invalide" in html.unescape(bad.text)
