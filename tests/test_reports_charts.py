"""The server-drawn SVG charts: well-formed, accessible, and showing the numbers they are given."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from temoin.contract.loading import load_contract
from temoin.i18n import Translator
from temoin.reports import charts
from temoin.reports.charts._svg import GREEN, RED
from temoin.settlement import settle
from temoin.settlement.inputs import results_from_data

NS = "{http://www.w3.org/2000/svg}"
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text, "every chart has a title"
    assert desc is not None and desc.text, "every chart has a description"
    ids = (root.get("aria-labelledby") or "").split()
    assert ids == [title.get("id"), desc.get("id")]
    return root


def texts(root: ET.Element) -> list[str]:
    """What a reader sees written on the chart (text elements only, not tooltips)."""
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def norm(s: str) -> str:
    return s.replace("\u202f", " ").replace("\u00a0", " ")


def test_consort_shows_every_stage_and_the_share_followed() -> None:
    flow = {"referred": 1020, "eligible": 940, "consented": 812, "randomised": {"treated": 406, "control": 406},
            "waves": [{"wave": "m12", "treated": 380, "control": 371}]}
    root = parse(charts.consort(flow, lang="fr"))
    shown = norm(" | ".join(texts(root)))
    for n in ("n = 1 020", "n = 940", "n = 812", "n = 406", "n = 380", "n = 371"):
        assert n in shown
    assert "93,6 %" in shown  # 380 / 406 followed in the programme arm
    desc = norm(root.find(f"{NS}desc").text or "")
    assert "1 020" in desc and "380" in desc


def test_consort_says_a_suppressed_count_is_hidden_in_english() -> None:
    flow = {"referred": 120, "eligible": 100, "consented": 90, "randomised": {"treated": 45, "control": 45},
            "waves": [{"wave": "m12", "treated": None, "control": 40}]}
    shown = " ".join(texts(parse(charts.consort(flow, lang="en"))))
    assert "n suppressed (small cell)" in shown
    assert "Followed, wave m12" in shown


def test_text_is_escaped_not_interpreted() -> None:
    rows = [{"attribute": "<script>alert('x')</script> & co", "effect_size": 0.3}]
    svg = charts.love_plot(rows, lang="en")
    root = parse(svg)
    assert "<script>" not in svg
    assert root.find(f".//{NS}script") is None
    assert any("<script>alert('x')</script> & co" in t for t in texts(root))


def test_love_plot_marks_the_attribute_beyond_the_wwc_band() -> None:
    rows = [{"attribute": "age", "effect_size": 0.03}, {"attribute": "sexe", "effect_size": -0.12},
            {"attribute": "placement antérieur", "effect_size": 0.41}]
    root = parse(charts.love_plot(rows, lang="fr"))
    shown = " ".join(texts(root))
    assert "0,410" in shown and "−0,120" in shown  # the minus sign, as the Translator writes it
    desc = root.find(f"{NS}desc").text or ""
    assert "1 au-delà de 0,25, 1 entre les deux seuils" in desc
    red = [c for c in root.iter(f"{NS}circle") if c.get("fill") == "#b3261e"]
    assert len(red) == 1 and "placement antérieur" in "".join(red[0].itertext())


def test_attrition_point_judged_against_the_bundled_boundary() -> None:
    from temoin.evaluation.diagnostics.attrition import max_differential

    limit = max_differential(30.0, "cautious")
    assert limit is not None
    waves = [{"wave": "m12", "overall_pct": 12.0, "differential_pp": 1.0},
             {"wave": "m24", "overall_pct": 30.0, "differential_pp": limit + 2.0}]
    root = parse(charts.attrition_chart(waves, lang="en"))
    desc = root.find(f"{NS}desc").text or ""
    assert "wave m12: overall attrition 12.0%, differential 1.0 points, low" in desc
    assert f"wave m24: overall attrition 30.0%, differential {limit + 2.0:.1f} points, high" in desc
    # two boundary curves drawn (cautious and optimistic)
    assert len([p for p in root.iter(f"{NS}path") if p.get("fill") == "none"]) == 2


def test_impact_chart_writes_estimate_interval_and_threshold() -> None:
    results = [{"label": "Journées de placement — m24", "improvement": 52.0, "ci_low": 35.5, "ci_high": 68.25}]
    root = parse(charts.impact_chart(results, lang="fr", unit="jours", threshold=10))
    shown = " ".join(texts(root))
    assert "52,00 [35,50 ; 68,25]" in shown
    assert "seuil de paiement" in shown


def test_generic_waterfall_adds_up() -> None:
    svg = charts.waterfall(("Droit", Decimal("120000")), [("Plafond", Decimal("-20000")), ("Bonus", Decimal("5000"))],
                           "Dû", lang="fr", reference=("Économies", Decimal("110000")))
    shown = norm(" ".join(texts(parse(svg))))
    assert "120 000 €" in shown and "−20 000 €" in shown and "+5 000 €" in shown
    assert "105 000 €" in shown  # 120 000 − 20 000 + 5 000
    assert "Économies : 110 000 €" in shown


def euros(amount: Decimal) -> str:
    """The label a French chart writes for an amount, rounded to the euro half up."""
    return f"{int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)):,} €".replace(",", " ")


def _aemo_settlement(improvement: float, lower: float, n: int) -> object:
    contract = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    rows = [{"indicator": "placement_days", "wave": w, "improvement": improvement, "improvement_lower": lower,
             "n_treated_followed": n, "grade": "meets_without_reservations"} for w in ("m12", "m24")]
    return settle(contract, results_from_data(contract, 1, rows), as_of=dt.date(2030, 12, 31), break_even=False)


def test_settlement_waterfall_shows_every_period_and_the_cap_that_binds() -> None:
    s = _aemo_settlement(120.0, 110.0, 390)
    last = s.periods[-1]
    held = sum((c.reduction.amount for p in s.periods for c in p.caps), Decimal(0))
    assert held > 0, "this scenario must hit a cap"
    assert len(s.periods) == 2
    for data in (s, s.to_dict()):
        root = parse(charts.settlement_waterfall(data, lang="fr"))
        shown = norm(" ".join(texts(root)))
        assert euros(last.cumulative_paid.amount) in shown
        for p in s.periods:  # each period: its gross, and each cap's reduction, labelled with the period
            assert p.label_fr.split()[0] in shown
            assert euros(p.gross.amount) in shown
            for c in (c for c in p.caps if c.reduction.amount > 0):
                assert "−" + euros(c.reduction.amount) in shown
                assert any(Translator("fr").label("cap", c.name).split()[-1] in t for t in texts(root))
        # the steps add up to the payments: every period's gross less its reductions
        assert sum((p.gross.amount - sum((c.reduction.amount for c in p.caps), Decimal(0)) for p in s.periods),
                   Decimal(0)) == last.cumulative_paid.amount


def test_investor_flows_and_public_cost_read_domain_records_and_dicts_alike() -> None:
    s = _aemo_settlement(40.0, 25.0, 350)
    a = charts.investor_flows(s.investors, lang="en")
    b = charts.investor_flows(s.to_dict()["investors"], lang="en")
    assert a == b
    shown = " ".join(texts(parse(a)))
    for p in s.investors:
        assert p.investor in shown
        if p.irr is not None:
            assert f"IRR {p.irr * 100:.1f}%" in shown
    pc = charts.public_cost_chart(s.public_cost, lang="en")
    assert pc == charts.public_cost_chart(s.public_cost.to_dict(), lang="en")
    shown = " ".join(texts(parse(pc)))
    total = s.public_cost.cis_total.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert f"€{int(total):,}" in shown


def test_budget_watch_flags_the_year_of_the_fall() -> None:
    watch = {"base_year": 2024, "cis_basis": "commitments",
             "years": [{"year": 2023, "mandatory_total_real": "1000000", "cis_commitments": "0", "cis_payments": None},
                       {"year": 2024, "mandatory_total_real": "950000", "cis_commitments": "200000", "cis_payments": None}],
             "flags": [{"year": 2024, "message": "2024 : baisse de 5 %"}], "notes": []}
    root = parse(charts.budget_watch(watch, lang="fr"))
    shown = norm(" ".join(texts(root)))
    assert "200 000 €" in shown and "baisse réelle" in shown and "1 alerte(s)" in shown
    assert "2024 : baisse de 5 %" in (root.find(f"{NS}desc").text or "")
    quiet = {**watch, "flags": []}
    assert "Aucune alerte" in " ".join(texts(parse(charts.budget_watch(quiet, lang="fr"))))


def test_power_curve_states_the_risk_of_paying_for_nothing() -> None:
    effects = [{"true_effect": 0.0, "power": 0.05, "p_paid": 0.031}, {"true_effect": 20.0, "power": 0.62, "p_paid": 0.55},
               {"true_effect": 40.0, "power": 0.97, "p_paid": 0.95}]
    root = parse(charts.power_curve(effects, lang="en", unit="days"))
    assert "With no real effect, the payer pays in 3.1% of simulated trials." in (root.find(f"{NS}desc").text or "")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_chart_has_unique_ids_per_content(lang: str) -> None:
    one = charts.consort({"referred": 10, "eligible": 10, "consented": 10, "enrolled": 10, "waves": []}, lang=lang)
    two = charts.consort({"referred": 20, "eligible": 20, "consented": 20, "enrolled": 20, "waves": []}, lang=lang)
    id1 = re.search(r'aria-labelledby="([^ ]+)', one)
    id2 = re.search(r'aria-labelledby="([^ ]+)', two)
    assert id1 and id2 and id1.group(1) != id2.group(1)


def test_attrition_ticks_are_written_at_their_real_values_and_the_verdict_is_the_diagnostics() -> None:
    """A differential axis up to 12.5 points steps by 2.5: each tick says 2.5, 7.5, not 2 or 8."""
    waves = [{"wave": "m12", "overall_pct": 4.0, "differential_pp": 3.8, "low": True},
             {"wave": "m24", "overall_pct": 8.7, "differential_pp": 1.5, "low": False}]
    root = parse(charts.attrition_chart(waves, lang="en"))
    ticks = [t for t in texts(root) if re.fullmatch(r"[\d.]+", t)]
    assert {"2.5", "5.0", "7.5", "10.0"} <= set(ticks), ticks
    assert not {"3", "8", "13"} & set(ticks)
    desc = root.find(f"{NS}desc").text or ""
    assert "wave m24: overall attrition 8.7%, differential 1.5 points, high" in desc  # the record's own verdict


def test_budget_watch_draws_the_line_that_raised_the_alert() -> None:
    line = {"code": "ASE-PLACEMENT", "label": "Placements", "mandatory": True,
            "by_year": {"2023": {"nominal": "400000", "real": "400000"}, "2024": {"nominal": "390000", "real": "371000"}}}
    watch = {"base_year": 2023, "cis_basis": "commitments", "lines": [line],
             "years": [{"year": 2023, "mandatory_total_real": "1000000", "cis_commitments": "0", "cis_payments": None},
                       {"year": 2024, "mandatory_total_real": "1020000", "cis_commitments": "200000", "cis_payments": None}],
             "flags": [{"year": 2024, "code": "ASE-PLACEMENT", "message": "2024 : baisse réelle des placements"}], "notes": []}
    root = parse(charts.budget_watch(watch, lang="fr"))
    shown = norm(" ".join(texts(root)))
    assert "Placements" in shown
    points = [norm("".join(c.itertext())) for c in root.iter(f"{NS}circle")]
    assert points == ["2023 : 400 000 €", "2024 : 371 000 €"]  # the line's real values, not the total
    total = parse(charts.budget_watch({**watch, "flags": []}, lang="fr"))
    assert [norm("".join(c.itertext())) for c in total.iter(f"{NS}circle")] == ["2023 : 1 000 000 €",
                                                                                    "2024 : 1 020 000 €"]


def test_the_power_curve_has_enough_points() -> None:
    from temoin.evaluation.diagnosis import POWER_CURVE_POINTS, default_effects

    effects = default_effects(45, 10)
    assert len(effects) >= POWER_CURVE_POINTS >= 9
    assert {0.0, 10.0, 45.0} <= set(effects) and max(effects) == 67.5
    steps = [b - a for a, b in itertools.pairwise(effects)]
    assert max(steps) <= 67.5 / (POWER_CURVE_POINTS - 1) + 1e-9  # no gap wider than the grid's step
    curve = parse(charts.power_curve([{"true_effect": e, "power": min(e / 50, 1), "p_paid": min(e / 60, 1)} for e in effects],
                                     lang="en", unit="days"))
    assert len(list(curve.iter(f"{NS}circle"))) == 2 * len(effects)


@pytest.mark.parametrize(("extra", "share", "lang", "said", "fill"), [
    ("-50000", -0.25, "fr", "Le CIS a coûté au payeur 50\u202f000\xa0€ (25,0\xa0%) de moins que le financement direct",
     GREEN),
    ("-50000", -0.25, "en", "The CIS cost the payer €50,000 (25.0%) less than funding the programme directly", GREEN),
    ("30000", 0.1, "fr", "Le CIS a coûté au payeur 30\u202f000\xa0€ (10,0\xa0%) de plus que le financement direct", RED),
    ("0", 0.0, "fr", "Le CIS a coûté au payeur autant que le financement direct du programme", GREEN),
])
def test_public_cost_chart_says_a_saving_as_a_saving_never_a_negative_extra_cost(
        extra: str, share: float, lang: str, said: str, fill: str) -> None:
    svg = charts.public_cost_chart({"outcome_payments": "100000", "transaction_costs": [], "direct_cost": "150000",
                                    "realised_savings": "200000", "extra_cost": extra, "extra_cost_share": share},
                                   lang=lang)
    root = ET.fromstring(svg)
    width = float(root.get("viewBox", "").split()[2])
    verdict = [el for el in root.iter() if el.tag.endswith("text") and el.get("x") == "16.0" and el.get("fill") == fill]
    joined = " ".join(el.text or "" for el in verdict)
    assert said in joined, svg
    assert "−" not in joined and "-" not in joined
    # drawn at x=16 and cut between words, every line fits inside the chart
    assert all(16 + len(el.text or "") * 12 * 0.6 <= width for el in verdict)


def test_investor_legend_and_dates_stay_inside_the_chart_with_long_names() -> None:
    names = ["Caisse des Dépôts et Consignations", "Fondation Investisseur Solidaire de France",
             "Banque Mutualiste Régionale du Nord-Pas-de-Calais"]
    investors = [{"investor": n, "irr": 0.01 * k,
                  "flows": [{"date": "2024-01-15", "amount": "-100000"}, {"date": "2026-12-31", "amount": "110000"}]}
                 for k, n in enumerate(names)]
    root = ET.fromstring(charts.investor_flows(investors, lang="fr"))
    height = float(root.get("viewBox", "").split()[3])
    texts = {el.text: el for el in root.iter() if el.tag.endswith("text")}
    legend = [texts[f"{n} (TRI {p})"] for n, p in zip(names, ["0,0\xa0%", "1,0\xa0%", "2,0\xa0%"], strict=True)]
    assert all(float(el.get("y", "0")) + 4 <= height for el in legend)
    # the legend starts below the lowest point the dates written at -40° reach
    dates = [el for el in root.iter() if el.tag.endswith("text") and "rotate(-40" in (el.get("transform") or "")]
    lowest = max(float(el.get("y", "0")) + len(el.text or "") * 10 * 0.6 * 0.643 for el in dates)
    assert min(float(el.get("y", "0")) for el in legend) - 11 > lowest
