"""Representativeness per enrolment batch (issue 17, item 3): each batch's enrolled against the
contract's reference margins, the overall comparison's figures for the batch's rows, with a batch too
small to judge said so; stored beside the balance per batch under rolling enrolment only."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import Engine
from tests.test_enrolment_rolling import C
from tests.test_enrolment_schedule import enrolled_monthly  # noqa: F401  (the fixture)

from temoin.evaluation.batches import MIN_EXPECTED, representativeness_by_batch
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports.report import render_html
from temoin.services import evaluations as ev
from temoin.services.reports import build_report
from temoin.settings import Settings
from temoin.store import session_scope
from test_web_support import make_site

EN, FR = Translator("en"), Translator("fr")
SETTINGS = Settings()
MARGINS = [("sex", "census", {"F": 0.5, "M": 0.5}), ("risk", "register", {"high": 0.6, "very_high": 0.4})]


def _cohort() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    parts = []
    # batch 1 like the reference; batch 2 over-represents girls (80 %); batch 3 has four people
    for batch, n, p_f in ((1, 200, 0.5), (2, 200, 0.8), (3, 4, 0.5)):
        parts.append(pd.DataFrame({"batch": batch, "sex": np.where(rng.random(n) < p_f, "F", "M"),
                                   "risk": np.where(rng.random(n) < 0.6, "high", "very_high")}))
    return pd.concat(parts, ignore_index=True)


def test_each_batch_is_compared_with_the_reference_margins_as_an_independent_count_says() -> None:
    people = _cohort()
    out = representativeness_by_batch(people, MARGINS)
    assert set(out) == {"1", "2", "3"}
    for batch, group in people.groupby("batch"):
        for (attribute, source, shares), row in zip(MARGINS, out[str(batch)], strict=True):
            counts = group[attribute].value_counts()
            n = len(group)
            observed = {c: counts.get(c, 0) / n for c in shares}
            assert row["attribute"] == attribute and row["source"] == source and row["n"] == n
            assert row["enrolled_shares"] == pytest.approx(observed, rel=1e-12)
            for c, p in shares.items():
                assert row["std_differences"][c] == pytest.approx((observed[c] - p) / np.sqrt(p * (1 - p)), rel=1e-12)
            expected = np.array([shares[c] * n for c in shares])
            chi2, p_value = stats.chisquare([counts.get(c, 0) for c in shares], expected)
            assert row["chi2"] == pytest.approx(chi2, rel=1e-12) and row["p_value"] == pytest.approx(p_value, rel=1e-12)
            assert row["too_small"] == bool(expected.min() < MIN_EXPECTED)


def test_a_batch_that_over_represents_one_category_is_flagged_and_a_tiny_batch_gets_no_verdict() -> None:
    out = representativeness_by_batch(_cohort(), MARGINS)
    sex = {b: rows[0] for b, rows in out.items()}
    gap_2 = max(abs(v) for v in sex["2"]["std_differences"].values())
    assert gap_2 > 0.25 and sex["2"]["verdict"]["level"] == "fail" and not sex["2"]["too_small"]
    assert EN.render(Msg.from_dict(sex["2"]["verdict"]["message"])) == \
        f"sex: the enrolled do not represent the reference population (largest gap {EN.number(round(gap_2, 2))})."
    assert max(abs(v) for v in sex["1"]["std_differences"].values()) <= 0.1 and sex["1"]["verdict"]["level"] == "ok"
    tiny = sex["3"]
    assert tiny["too_small"] and tiny["n"] == 4 and tiny["verdict"]["level"] == "warning"
    message = Msg.from_dict(tiny["verdict"]["message"])
    assert EN.render(message) == ("sex: too few people in the batch (4) to judge the gap with the reference population; "
                                  "read the comparison over all batches.")
    assert FR.render(message).startswith("sex : trop peu de personnes dans la vague d'inclusion (4)")


def test_people_without_a_batch_are_left_out() -> None:
    people = _cohort()
    people.loc[:9, "batch"] = np.nan
    out = representativeness_by_batch(people, MARGINS)
    assert out["1"][0]["n"] == 190 and set(out) == {"1", "2", "3"}


def _evaluated(engine: Engine, tmp: Path) -> dict[str, Any]:
    path = tmp / "m12.csv"
    ev.generate_synthetic(engine, C, path, wave="m12", seed=11, settings=SETTINGS)
    on = dt.date(2027, 3, 31)
    ev.import_outcomes(engine, C, "m12", path, settings=SETTINGS, as_of=on)
    ev.evaluate_contract(engine, C, as_of=on)
    with session_scope(engine) as s:
        diagnostics: dict[str, Any] = ev.latest_diagnostics(s, C)["placement_days__m12"]
    return diagnostics


def _text(html: str, tag_id: str) -> str:
    """The words of the element ``tag_id``, without the tags (spaces squeezed)."""
    start = html.index(f'id="{tag_id}"')
    end = html.index("</dl>", start)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html[start:end].split(">", 1)[1])).split())


def test_the_page_and_the_report_show_each_batch_in_french_and_english(enrolled_monthly: Engine,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    diagnostics = _evaluated(enrolled_monthly, tmp_path)
    by_batch = diagnostics["representativeness_by_batch"]
    assert len(by_batch) > 1 and "balance_by_batch" in diagnostics
    site = make_site(enrolled_monthly)
    for lang, words, heading in (("en", EN, "Who was served, batch by batch"),
                                 ("fr", FR, "Qui a été servi, vague d'inclusion par vague d'inclusion")):
        expected = []
        for batch, rows in sorted(by_batch.items(), key=lambda kv: int(kv[0])):
            expected.append(words("Batch {batch}", batch=batch))
            expected += [m for m in (words.render(Msg.from_dict(r["verdict"]["message"])) for r in rows)]
        page = site.signed_in("evaluator", lang=lang).get(f"/contracts/{C}/evaluation")
        assert page.status_code == 200 and heading in html_lib.unescape(page.text)
        report = render_html(build_report(enrolled_monthly, C, settings=SETTINGS, lang=lang))
        assert heading in html_lib.unescape(report)
        for html in (page.text, report):
            shown = _text(html, "served-by-batch")
            listed = html[html.index('id="served-by-batch"'):]
            listed = listed[:listed.index("</dl>")]
            assert listed.count("<dd") == sum(len(rows) for rows in by_batch.values())
            # balance per batch, read beside it: each batch's verdict (its variables named by their labels)
            balance = html[html.index('id="balance-by-batch"'):]
            balance = balance[:balance.index("</dl>")]
            assert balance.count("<dd") == len(diagnostics["balance_by_batch"]) > 0
            shown_balance = _text(html, "balance-by-batch")
            for batch, b in sorted(diagnostics["balance_by_batch"].items(), key=lambda kv: int(kv[0])):
                said = words.render(Msg.from_dict(b["verdict"]["message"]))
                assert f'{words("Batch {batch}", batch=batch)} {said.split(":", 1)[0]}' in shown_balance, (lang, said)
            for words_said in expected:
                # a verdict names the attribute by its label on the page: compare what follows the name
                assert words_said.split(":", 1)[-1].strip() in shown, (lang, words_said)


def test_the_public_report_hides_a_batch_margin_with_small_cells(enrolled_monthly: Engine,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    by_batch = _evaluated(enrolled_monthly, tmp_path)["representativeness_by_batch"]
    threshold = SETTINGS.small_cell_threshold
    report = render_html(build_report(enrolled_monthly, C, settings=SETTINGS, lang="en", public=True))
    listed = report[report.index('id="served-by-batch"'):]
    items = [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", d)).split())
             for d in re.findall(r"<dd[^>]*>(.*?)</dd>", listed[:listed.index("</dl>")], flags=re.S)]
    margins = [r for _, rows in sorted(by_batch.items(), key=lambda kv: int(kv[0])) for r in rows]
    assert len(items) == len(margins)
    small = [any(0 < round(s * r["n"]) < threshold for s in r["enrolled_shares"].values()) for r in margins]
    assert any(small)  # monthly batches: some categories hold fewer than the threshold
    for said, r, hidden in zip(items, margins, small, strict=True):
        assert ("comparison partly suppressed (small cells:" in said) == hidden, (said, r)


def test_creaming_per_batch_is_read_on_the_page_and_in_the_report(enrolled_monthly: Engine,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    diagnostics = _evaluated(enrolled_monthly, tmp_path)
    by_batch = diagnostics["creaming_by_batch"]
    assert len(by_batch) > 1
    site = make_site(enrolled_monthly)
    for lang, words, heading in (("en", EN, "Creaming, batch by batch"),
                                 ("fr", FR, "Écrémage, vague d'inclusion par vague d'inclusion")):
        page = site.signed_in("evaluator", lang=lang).get(f"/contracts/{C}/evaluation")
        report = render_html(build_report(enrolled_monthly, C, settings=SETTINGS, lang=lang))
        for html in (page.text, report):
            assert heading in html_lib.unescape(html)
            shown = _text(html, "creaming-by-batch")
            listed = html[html.index('id="creaming-by-batch"'):]
            assert listed[:listed.index("</dl>")].count("<dd") == len(by_batch)
            for batch, cream in sorted(by_batch.items(), key=lambda kv: int(kv[0])):
                said = " ".join(words.render(Msg.from_dict(cream["verdict"]["message"])).split())  # spaces squeezed, as shown
                # the verdict's words up to the details, which name the attribute and its categories by their labels
                assert f'{words("Batch {batch}", batch=batch)} {said.split("(")[0]}' in shown, (lang, batch, said)
            assert "prior_placement" not in shown and "= true" not in shown, shown
            assert ("Prior placement = yes" if lang == "en" else "= oui") in shown or "(" not in shown, shown
