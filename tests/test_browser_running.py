"""In Debian's Chromium (Playwright), against the app served by uvicorn on 127.0.0.1, a running
contract's steps as each role does them, with no command line: the payer uploads budget lines (a
refused file, then a good one), replaces a settlement with a reason; the observer acknowledges it;
a researcher asks for an extract, the payer agrees, the researcher downloads it; the evaluator
amends the locked plan. A screenshot of each page, per role, is kept with the test's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from temoin.services import evaluations
from temoin.services.accounts import create_account
from temoin.services.contracts import import_contract
from temoin.services.settlements import list_settlements, run_settlement
from temoin.settings import Settings
from test_browser_web import C, page, served, sign_in, sign_out  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser
EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
RESEARCHER_PASSWORD = "quatre mots bien choisis ici"
BAD_BUDGET = ("payer,function,year,code,label_fr,label_en,mandatory,amount,price_index\n"
              "dept-nord,ASE,20x5,ASE-PLACEMENT,Placements,Placements,true,1000.00,100\n"
              "dept-pas-de-calais,ASE,2031,ASE-X,X,X,true,1000.00,100\n")
GOOD_BUDGET = ("payer,function,year,code,label_fr,label_en,mandatory,amount,price_index\n"
               "dept-nord,ASE,2031,ASE-PLACEMENT,Placements,Placements,true,401000000.00,112.5\n")


def _evaluated(site: Site, folder: Path) -> None:
    """What the operator and the evaluator did before (their pages have their own browser tests)."""
    settings = Settings()
    people = folder / "participants.csv"
    evaluations.generate_synthetic(None, C, people, settings=settings)
    evaluations.import_participants(site.engine, C, people, settings=settings, actor="test")
    evaluations.randomise_cohort(site.engine, C, actor="test")
    evaluations.lock_plan(site.engine, C, actor="test")
    for wave in ("m12", "m24"):
        path = folder / f"{wave}.csv"
        evaluations.generate_synthetic(site.engine, C, path, wave=wave, settings=settings)
        evaluations.import_outcomes(site.engine, C, wave, path, settings=settings, actor="test")
    evaluations.evaluate_contract(site.engine, C, actor="test")
    run_settlement(site.engine, C, actor="test")
    create_account(site.engine, "chercheuse", RESEARCHER_PASSWORD, actor="test", display_name="Chercheuse")


def test_a_running_contract_step_by_step_in_the_browser(served: tuple[str, Site], page: Any,  # noqa: F811 (fixtures)
                                                        tmp_path: Path) -> None:
    base, site = served
    _evaluated(site, tmp_path)
    shots = tmp_path / "screenshots"
    shots.mkdir()

    # the payer: budget lines, a refused file then a good one
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}")
    page.get_by_role("link", name="Veille budgétaire").click()
    page.wait_for_url(f"{base}/contracts/{C}/budget")
    (tmp_path / "budget-faux.csv").write_text(BAD_BUDGET, encoding="utf-8")
    page.get_by_label("Fichier (CSV ou XLSX)").set_input_files(str(tmp_path / "budget-faux.csv"))
    page.get_by_role("button", name="Importer", exact=True).click()
    error = page.locator("#budget-error").inner_text()
    assert "rien n'a été importé" in error and "n'est pas un payeur de ce contrat" in error
    assert page.locator("#budget-problems tbody tr").count() == 2
    page.screenshot(path=str(shots / "payeur-budget-refuse.png"), full_page=True)
    (tmp_path / "budget.csv").write_text(GOOD_BUDGET, encoding="utf-8")
    page.get_by_label("Fichier (CSV ou XLSX)").set_input_files(str(tmp_path / "budget.csv"))
    page.get_by_role("button", name="Importer", exact=True).click()
    assert "1 lignes budgétaires importées" in page.locator("#budget-imported").inner_text()
    page.screenshot(path=str(shots / "payeur-budget-importe.png"), full_page=True)

    # the payer replaces the settlement, with a reason
    first = list_settlements(site.engine, C)[0].id
    page.get_by_role("link", name="Règlement", exact=True).click()
    page.get_by_label("Raison de la correction").fill("Extraction ASE corrigée")
    page.get_by_role("button", name="Remplacer le règlement").click()
    page.wait_for_selector("#corrections")
    assert "Extraction ASE corrigée" in page.locator("#corrections").inner_text()
    page.screenshot(path=str(shots / "payeur-reglement-remplace.png"), full_page=True)
    current = [r for r in list_settlements(site.engine, C) if r.superseded_by is None]
    assert [r.supersedes_id for r in current] == [first]
    sign_out(page)

    # the observer acknowledges the settlement in force
    sign_in(page, base, site, "observateur")
    page.goto(f"{base}/contracts/{C}/settlement")
    assert page.locator("#correct-form").count() == 0
    page.get_by_label(f"Remarque sur le règlement n° {current[0].id} (facultative)").fill("Lu en comité de suivi.")
    page.get_by_role("button", name=f"J'ai pris connaissance du règlement n° {current[0].id}").click()
    page.wait_for_selector(f"text=Règlement n° {current[0].id} : prise de connaissance enregistrée.")
    page.screenshot(path=str(shots / "observateur-prise-de-connaissance.png"), full_page=True)
    sign_out(page)

    # a researcher asks for an extract, from the contract's public page
    page.goto(f"{base}/login")
    page.get_by_label("Identifiant").fill("chercheuse")
    page.get_by_label("Mot de passe").fill(RESEARCHER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/public/contracts/{C}")
    page.get_by_role("link", name="Chercheurs : demander un extrait des données").click()
    page.get_by_label("À quoi servira l'extrait ?").fill("Effet de l'AEMO renforcée selon l'âge, équipe du LIEPP, 2 ans")
    for label in ("Tranche d'âge", "Sexe", "groupe (programme ou comparaison)"):
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_url(f"{base}/research/extracts")
    assert "en attente de la décision du payeur" in page.locator("#my-requests").inner_text()
    page.screenshot(path=str(shots / "chercheuse-demande.png"), full_page=True)
    page.get_by_role("button", name="Se déconnecter").click()

    # the payer agrees
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}")
    page.get_by_role("link", name="Extraits de recherche").click()
    assert "Effet de l'AEMO renforcée selon l'âge" in page.locator("#extract-requests").inner_text()
    page.get_by_role("button", name="Accepter et produire l'extrait").click()
    page.wait_for_selector("text=extrait produit (k = 5)")
    page.screenshot(path=str(shots / "payeur-extrait-accepte.png"), full_page=True)
    sign_out(page)

    # the researcher downloads it
    page.goto(f"{base}/login")
    page.get_by_label("Identifiant").fill("chercheuse")
    page.get_by_label("Mot de passe").fill(RESEARCHER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/research/extracts")
    with page.expect_download() as download:
        page.get_by_role("link", name="données (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("research_id,")
    page.screenshot(path=str(shots / "chercheuse-telechargement.png"), full_page=True)
    page.get_by_role("button", name="Se déconnecter").click()

    # the evaluator amends the locked plan, once the contract's new version changed it
    changed = tmp_path / "aemo.yaml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("minimum_effect: 10", "minimum_effect: 12"),
                       encoding="utf-8")
    import_contract(site.engine, changed, actor="test")
    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/contracts/{C}/evaluation")
    page.get_by_label("Raison de l'amendement").fill("Effet minimal revu après l'étude de coûts")
    page.get_by_role("button", name="Enregistrer l'amendement").click()
    page.wait_for_selector("#amendments")
    assert "Effet minimal revu après l'étude de coûts" in page.locator("#amendments").inner_text()
    page.screenshot(path=str(shots / "evaluateur-amendement.png"), full_page=True)
    sign_out(page)
    assert len(list(shots.glob("*.png"))) == 8
