"""Small-cell suppression of the cohort flow in the public report: no hidden count can be given back."""

from __future__ import annotations

from itertools import pairwise

from temoin.reports._public import suppress_chain, suppress_flow


def test_a_small_count_and_a_small_gap_are_both_hidden() -> None:
    # 7 people is a small cell; 395 → 391 hides 4 people lost, so 391 must go too
    assert suppress_chain([400, 395, 7], 10) == [400, None, None]
    assert suppress_chain([400, 391, 380], 10) == [400, None, 380]
    assert suppress_chain([400, 400, 380], 10) == [400, 400, 380], "a gap of zero hides nobody"


def test_published_chain_never_differs_by_a_small_number() -> None:
    values = [812, 806, 790, 781, 779, 700, 697, 12, 3]
    shown = [v for v in suppress_chain(values, 10) if v is not None]
    assert shown, "something is published"
    for a, b in pairwise(shown):
        assert a == b or abs(a - b) >= 10
    assert all(v >= 10 for v in shown)


def test_flow_hides_the_followed_count_a_reader_could_subtract() -> None:
    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 360, "control": 356}]}
    public, hidden = suppress_flow(flow, 10)
    assert public["waves"][0]["treated"] is None  # 391 − 383 = 8 people lost: a small cell
    assert public["waves"][0]["control"] == 370
    assert public["waves"][1] == {"wave": "m24", "treated": 360, "control": 356}
    assert public["randomised"] == {"treated": 391, "control": 393}
    assert hidden == 1
    assert flow["waves"][0]["treated"] == 383, "the internal flow is left untouched"


def test_a_small_arm_is_hidden_with_its_partner_so_the_total_does_not_give_it_back() -> None:
    flow = {"referred": 60, "eligible": 50, "consented": 40, "randomised": {"treated": 34, "control": 4},
            "waves": []}
    public, hidden = suppress_flow(flow, 10)
    # 4 is small; 34 would give it back through the published total (or consented − 34 = 6 + 4)
    assert public["randomised"] == {"treated": None, "control": None}
    assert public["consented"] == 40
    assert hidden == 2


def test_single_cohort_flow_continues_the_chain_into_the_waves() -> None:
    flow = {"referred": 200, "eligible": 150, "consented": 120, "enrolled": 100,
            "waves": [{"wave": "m12", "treated": 95}, {"wave": "m24", "treated": 80}]}
    public, hidden = suppress_flow(flow, 10)
    assert public["enrolled"] == 100
    assert public["waves"][0]["treated"] is None  # 5 people lost
    assert public["waves"][1]["treated"] == 80
    assert hidden == 1


def test_a_rare_category_of_the_enrolled_is_not_compared_in_public() -> None:
    from temoin.reports._evaluation import _margin

    margin = {"attribute": "territory", "source": "INSEE", "n": 300,
              "enrolled_shares": {"lille": 0.99, "dunkerque": 0.01},
              "reference_shares": {"lille": 0.9, "dunkerque": 0.1},
              "std_differences": {"lille": 0.3, "dunkerque": -0.3},
              "verdict": {"level": "fail", "fr": "territory : écart max 0.30 (dunkerque 1 %).", "en": "territory: largest gap 0.30."}}
    internal = _margin(margin, lang="fr", public=False, threshold=10)
    assert internal["std_differences"] == {"lille": 0.3, "dunkerque": -0.3}
    public = _margin(margin, lang="fr", public=True, threshold=10)
    assert public["hidden_categories"] == ["dunkerque"]  # 1 % of 300 = 3 children
    assert "dunkerque" not in public["std_differences"]
    assert "1 %" not in public["verdict"] and "masquée" in public["verdict"]


def test_creaming_verdict_is_withheld_when_it_rests_on_a_small_cell() -> None:
    from temoin.reports._evaluation import _creaming

    row = {"attribute": "prior_placement", "harder_values": ["true"], "n_enrolled": 200, "n_not_enrolled": 20,
           "share_harder_enrolled": 0.2, "share_harder_not_enrolled": 0.25, "difference_pp": -5.0, "z": -0.5,
           "p_value": 0.3, "flagged": False}
    cream = {"flagged": False, "rows": [row], "verdict": {"level": "ok", "fr": "Pas d'écrémage (5 sur 20).", "en": "No creaming."}}
    assert _creaming(cream, lang="fr", public=False, threshold=10) == {"verdict": "Pas d'écrémage (5 sur 20).", "level": "ok"}
    public = _creaming(cream, lang="en", public=True, threshold=10)
    assert public == {"verdict": "Creaming: verdict suppressed (small cells).", "level": "warning"}
    big = {**cream, "rows": [{**row, "n_not_enrolled": 200}]}
    assert _creaming(big, lang="en", public=True, threshold=10) == {"verdict": "No creaming.", "level": "ok"}


def test_a_count_the_amounts_give_back_stays_published_and_its_neighbours_are_hidden() -> None:
    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 360, "control": 356}]}
    public, _ = suppress_flow(flow, 10, forced_waves=["m12"])
    assert public["waves"][0]["treated"] == 383  # given back by the savings anyway
    assert public["randomised"] == {"treated": None, "control": None}  # 391 − 383 = 8, and 784 − 393 = 391
    assert public["waves"][1] == {"wave": "m24", "treated": 360, "control": 356}
    # the chain with a forced count: the count before it goes instead
    assert suppress_chain([400, 391, 383], 10, [False, False, True]) == [400, None, 383]


def test_two_kept_counts_a_small_gap_apart_cannot_both_stay() -> None:
    import pytest

    from temoin.opendata.suppression import SuppressionConflict

    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 380, "control": 356}]}
    with pytest.raises(SuppressionConflict):
        suppress_flow(flow, 10, forced_waves=["m12", "m24"])
    with pytest.raises(SuppressionConflict):
        suppress_chain([400, 7], 10, [False, True])  # a kept count that is itself small


def test_amounts_that_would_give_a_small_gap_back_are_withheld_and_said_so() -> None:
    import datetime as dt

    from tests.conftest import EXAMPLES

    from temoin.contract import load_contract
    from temoin.evaluation.plan import PlanStatus
    from temoin.reports._evaluation import evaluation_section
    from temoin.reports._public import Exposure
    from temoin.reports.report import ReportData, add_settlement, render_html

    contract = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 380, "control": 356}]}
    status = PlanStatus(False, None, None, (), "h", None)
    exposure = Exposure({("placement_days", "m12"): 383, ("placement_days", "m24"): 380})
    section = evaluation_section(contract, flow=flow, results=[], diagnostics={}, status=status, lang="en", public=True,
                                 threshold=10, exposure=exposure)
    assert section["amounts_withheld"] is True
    assert section["flow"]["waves"][0]["treated"] is None  # suppressed as if no amount were published (391 − 383 = 8)
    data = ReportData(lang="en", public=True, generated_at=dt.datetime.now(dt.UTC).isoformat(), contract={"title": "T", "id": "x",
                      "version": 1, "content_hash": "h", "currency": "EUR", "parties": [], "caps": {}, "basis": "x",
                      "invested": None, "summary": "", "jurisdiction": "FR", "sector": "x", "synthetic": True, "start": "",
                      "end": "", "expected_size": 1}, period=None, safeguards=[], evaluation=None, settlement=None, budget=None,
                      ledger={"head": "0" * 64, "whole": True, "describe": ""}, threshold=10)
    add_settlement(data, {"data": {"periods": [], "total_paid": "12345.00"}, "recorded_id": 3, "recorded_at": "t",
                          "approvals": [], "outputs_hash": "f" * 64}, withheld=True)
    html = render_html(data)
    assert "amounts withheld (statistical confidentiality)" in html.lower() and "12,345" not in html and "12345" not in html
    assert "Recorded settlement #" in html and "f" * 64 in html
