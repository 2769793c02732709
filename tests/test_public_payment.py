"""The contract's public page says what was paid and why, once the payer approved it (issue 16
item 5, found missing by the browser journey: the public learnt it only from the PDF): nothing
before a settlement, a waiting notice until the approval, then the amount and each period's
decision in words, the same words as the settlement page."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import Engine

from temoin.services import evaluations as ev
from temoin.services.settlements import approve, list_settlements, run_settlement
from temoin.settings import Settings
from temoin.settlement.approvals import ApprovalKind
from test_web_support import make_site

C = "aemo-renforcee"
SETTINGS = Settings()


def _paid(text: str) -> str:
    return html.unescape(text.split('id="public-paid">', 1)[1].split("</p>", 1)[0])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_public_page_says_what_was_paid_once_approved(sqlite_engine: Engine, tmp_path: Path, lang: str) -> None:
    site = make_site(sqlite_engine)
    anonymous = site.client()
    anonymous.cookies.set("temoin_lang", lang)
    page = anonymous.get(f"/public/contracts/{C}")
    assert page.status_code == 200
    assert _paid(page.text) == ("Aucun règlement pour l'instant : rien n'a été payé aux résultats." if lang == "fr"
                                else "No settlement yet: nothing has been paid on results.")

    people = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, people, settings=SETTINGS)
    ev.import_participants(sqlite_engine, C, people, settings=SETTINGS, actor="test")
    ev.randomise_cohort(sqlite_engine, C, actor="test")
    ev.lock_plan(sqlite_engine, C, actor="test")
    for wave in ("m12", "m24"):
        path = tmp_path / f"{wave}.csv"
        ev.generate_synthetic(sqlite_engine, C, path, wave=wave, settings=SETTINGS)
        ev.import_outcomes(sqlite_engine, C, wave, path, settings=SETTINGS, actor="test")
    ev.evaluate_contract(sqlite_engine, C, actor="test")
    run_settlement(sqlite_engine, C, actor="test")
    waiting = anonymous.get(f"/public/contracts/{C}").text
    assert "certification" in _paid(waiting) and 'id="explained"' not in waiting

    record = list_settlements(sqlite_engine, C)[0]
    approve(sqlite_engine, record.id, kind=ApprovalKind.EVALUATOR_CERTIFICATION, party_id="labo-eval",
            person="Jean Dubois", actor="test")
    approve(sqlite_engine, record.id, kind=ApprovalKind.PAYER_APPROVAL, party_id="dept-nord", person="Claire Martin",
            actor="test")
    done = anonymous.get(f"/public/contracts/{C}").text
    assert ("approuvé par le payeur" if lang == "fr" else "approved by the payer") in _paid(done)
    assert _paid(done).startswith("Règlement n° 1 : " if lang == "fr" else "Settlement no. 1: ")  # no date-less "(—)"
    # the same decision in words as the payer reads on the settlement page
    payer = site.signed_in("payer", lang=lang)
    internal = payer.get(f"/contracts/{C}/settlement").text
    words = internal.split('<section id="explained"', 1)[1].split("</section>", 1)[0]
    assert words in done
