"""Pages that explain, clicked through in Debian's Chromium (Playwright) on the demo's records: the
payer reads on the home page what awaits them (the approval, disabled until certification, with the
reason), then why the demo pays nothing on the overview, evaluation and settlement pages; the
evaluator certifies from their to-do list; the payer then approves. Screenshots of each page are
kept in the test's directory (pytest keeps the last runs' ``tmp_path``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from temoin.i18n import Translator
from temoin.services import settlements
from temoin.settings import Settings
from test_browser_web import ARGS, CHROMIUM, serving, sign_in, sign_out
from test_web_support import Site, make_site

pytestmark = pytest.mark.browser
C = "aemo-renforcee"
WHY = "La borne basse unilatérale à 95\u00a0% (5,8 jours) est sous le seuil de 10 jours"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:

    from temoin.demo import contracts, evaluation, settlement
    from temoin.store import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser-explain') / 'b.db'}")
    migrate(engine)
    quiet, reader = Console(file=io.StringIO()), Translator("fr")
    contracts.show(engine, quiet, reader)
    evaluation.show(engine, quiet, Settings(), reader)
    settlement.show(engine, quiet, reader)
    first = max(r.id for r in settlements.list_settlements(engine, C))
    settlements.supersede(engine, first, reason="correction for the browser test", actor="test")
    site = make_site(engine)
    with serving(site.app) as base:
        yield base, site
    engine.dispose()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        from conftest import missing_component

        missing_component("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True, locale="fr-FR",
            viewport={"width": 1200, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()


def test_the_payer_reads_why_nothing_is_due_and_what_awaits_them(served: tuple[str, Site], page: Any, tmp_path: Path) -> None:
    base, site = served
    number = next(r.id for r in settlements.list_settlements(site.engine, C) if r.superseded_by is None)
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/")
    item = page.locator('li.todo-item[data-kind="approve"]')
    assert f"Approuver le paiement du règlement n° {number}." in item.inner_text()
    assert "en attente de la certification par l'évaluateur" in item.inner_text()
    assert item.get_by_role("button").is_disabled()
    page.screenshot(path=str(tmp_path / "payer-home-todo.png"), full_page=True)

    for name, path in (("overview", f"/contracts/{C}"), ("evaluation", f"/contracts/{C}/evaluation"),
                       ("settlement", f"/contracts/{C}/settlement")):
        page.goto(base + path)
        why = page.locator("#explained")
        assert why.is_visible(), name
        assert "Pourquoi ce montant" in why.inner_text()
        assert WHY in why.inner_text(), name
        assert "Rien n'est dû pour la période « Première période (12 mois) »." in why.inner_text()
        page.screenshot(path=str(tmp_path / f"payer-{name}.png"), full_page=True)
    # the evaluation page: the bound the payment uses, beside the two-sided interval, and the flow's losses
    page.goto(f"{base}/contracts/{C}/evaluation")
    assert "Base du paiement : la borne basse unilatérale à 95\u00a0%" in page.locator("#results").inner_text()
    assert "perdues de vue" in page.locator("#flow-steps").inner_text()
    assert page.locator("#creaming").is_visible() and page.locator("#attrition").is_visible()
    # the settlement page: Approve shown, disabled, with the reason
    page.goto(f"{base}/contracts/{C}/settlement")
    blocked = page.locator("button.approve-blocked")
    assert blocked.is_disabled()
    assert page.locator(f"#why-approve-{number}").inner_text() == "en attente de la certification par l'évaluateur"
    page.goto(f"{base}/contracts/{C}/settlement?lang=en")
    assert "The one-sided lower bound at 95% (5.8 days) is below the threshold of 10 days" in page.locator("#explained").inner_text()
    assert page.locator(f"#why-approve-{number}").inner_text() == "waiting for the evaluator's certification"
    page.screenshot(path=str(tmp_path / "payer-settlement-en.png"), full_page=True)
    page.goto(f"{base}/contracts/{C}/settlement?lang=fr")
    sign_out(page)

    # the evaluator follows their to-do item to the settlement page and certifies
    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/")
    page.locator('li.todo-item[data-kind="certify"]').get_by_role("link").click()
    page.wait_for_url(f"{base}/contracts/{C}/settlement")
    page.get_by_role("button", name="Certifier les résultats").click()
    page.wait_for_url(f"{base}/contracts/{C}/settlement")
    page.screenshot(path=str(tmp_path / "evaluator-certified.png"), full_page=True)
    sign_out(page)

    # the payer's action is now offered, and done
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/")
    item = page.locator('li.todo-item[data-kind="approve"]')
    item.get_by_role("link").click()
    page.wait_for_url(f"{base}/contracts/{C}/settlement")
    page.get_by_role("button", name="Approuver le paiement").click()
    page.wait_for_url(f"{base}/contracts/{C}/settlement")
    assert page.locator("button.approve-blocked").count() == 0
    assert "approbation du payeur" in page.locator("#settlements").inner_text()
    page.screenshot(path=str(tmp_path / "payer-approved.png"), full_page=True)
