"""In Debian's Chromium (Playwright), against the app served by uvicorn on 127.0.0.1: a person
uploads a contract's YAML with three mistakes, reads all three on the page, fixes the text (the
report follows as they type), saves version 1 and so becomes its payer; makes version 2 with the
guided form; reads the comparison in words; signs; downloads the YAML and INDIGO exports. A
screenshot of each step is kept in the test's folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from temoin.contract import parse_contract
from temoin.examples import example_path
from test_browser_web import _A11Y_JS, page, served, sign_in  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser
NEW = example_path("aemo-renforcee").read_text(encoding="utf-8").replace("id: aemo-renforcee", "id: aemo-ouest", 1)
THREE_MISTAKES = (NEW.replace("policy_sector: child_protection", "policy_sector: kids")
                  .replace("currency: EUR", "currency: euros")
                  .replace("design: stratified_rct", "design: coin_toss"))


def test_upload_three_mistakes_fix_save_form_compare_sign_export(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served
    shot = 0

    def screenshot(name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=str(tmp_path / f"{shot:02d}-{name}.png"), full_page=True)

    wrong = tmp_path / "contrat.yaml"
    wrong.write_text(THREE_MISTAKES, encoding="utf-8")
    sign_in(page, base, site, "observateur")  # an observer elsewhere: here they write their own contract
    page.get_by_role("link", name="Nouveau contrat").click()
    page.wait_for_url(f"{base}/contracts/new")
    page.get_by_label("Fichier YAML (remplace le texte ci-dessous)").set_input_files(str(wrong))
    page.get_by_role("button", name="Vérifier", exact=True).click()
    problems = page.locator("#contract-problems li")
    problems.first.wait_for()
    assert problems.count() == 3
    listed = problems.all_inner_texts()
    assert "« kids » n'est pas permis ici" in listed[0] and "currency" in listed[1] and "coin_toss" in listed[2]
    screenshot("three-mistakes")

    # the text is in the text area: fix it there, and the report follows (htmx) before any save
    page.get_by_label("Texte du contrat (YAML)").fill(NEW)
    page.locator("#safeguards").wait_for()
    assert "Tous les garde-fous bloquants sont respectés." in page.locator("#safeguard-summary").inner_text()
    screenshot("fixed-live-report")
    page.get_by_role("button", name="Enregistrer la version 1").click()
    page.wait_for_url(f"{base}/contracts/aemo-ouest/versions?saved=1")
    assert "Version 1 enregistrée." in page.locator("#saved").inner_text()
    screenshot("version-1")

    # version 2 by the guided form
    page.get_by_role("link", name="Modifier avec le formulaire guidé").click()
    page.wait_for_url(f"{base}/contracts/aemo-ouest/form")
    page.get_by_label("Effectif prévu").fill("640")
    screenshot("guided-form")
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    page.wait_for_url(f"{base}/contracts/aemo-ouest/versions?saved=2")
    changes = page.locator("#changes tbody tr")
    assert changes.count() == 1
    assert changes.first.inner_text().split("\t") == ["Population › Effectif prévu", "modifié", "800", "640"]
    screenshot("comparison")

    # the payer signs; the contract is locked
    page.get_by_role("button", name="Signer la version 2").click()
    page.wait_for_url(f"{base}/contracts/aemo-ouest/versions")
    assert "La version 2 a été signée le" in page.locator("#signature").inner_text()
    assert page.get_by_role("button", name="Signer la version 2").count() == 0
    screenshot("signed")
    page.goto(f"{base}/contracts/aemo-ouest/edit")
    assert page.locator("#contract-text").get_attribute("readonly") is not None
    assert "verrouillé" in page.locator("#signed-lock").inner_text()
    screenshot("locked")

    # exports of the signed version
    page.goto(f"{base}/contracts/aemo-ouest/versions")
    with page.expect_download() as got:
        page.locator("#versions a", has_text="YAML").first.click()
    yaml_file = got.value
    assert yaml_file.suggested_filename == "aemo-ouest-v2.yaml"
    exported = parse_contract(Path(yaml_file.path()).read_text(encoding="utf-8"))
    assert exported.population.expected_size == 640 and exported.id == "aemo-ouest"
    with page.expect_download() as got:
        page.locator("#versions a", has_text="INDIGO").first.click()
    indigo = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert got.value.suggested_filename == "aemo-ouest-v2.indigo.json" and indigo["id"].endswith("aemo-ouest")

    # every page of it: fields labelled, text contrasted
    for path in ("/contracts/new", "/contracts/new/form", "/contracts/aemo-ouest/versions", "/contracts/aemo-ouest/edit",
                 "/contracts/aemo-ouest/form"):
        page.goto(base + path)
        found = page.evaluate(_A11Y_JS)
        assert not found["low"], f"{path}: text below the WCAG AA contrast ratio: {found['low']}"
        assert not found["unlabelled"], f"{path}: form fields without a label: {found['unlabelled']}"
