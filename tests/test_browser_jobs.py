"""In Debian's Chromium (Playwright), against the app served by uvicorn (its job workers started with
it): the payer opens the risk simulation tab, changes an assumption, runs the simulation and waits
on the page (htmx follows the job) for the result in words; then asks for the public PDF report on
the reports tab, waits for it, downloads it, and the PDF renders (pdftoppm: not a blank page;
pdftotext: the contract's title). Screenshots of each step are kept in the test's folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import missing_component
from test_browser_web import C, page, served, sign_in  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser


def test_the_payer_simulates_then_downloads_a_public_pdf_report(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            missing_component(f"{tool} (Debian package poppler-utils) is not installed")
    base, site = served
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}")
    page.get_by_role("link", name="Simulation des risques").click()
    page.wait_for_url(f"{base}/contracts/{C}/simulation")
    page.evaluate("document.getElementById('sim-scenarios').type = 'text'")  # past the browser's own check
    page.get_by_label("Nombre de scénarios").fill("beaucoup")
    page.get_by_role("button", name="Lancer la simulation").click()
    assert "Ce n'est pas un nombre" in page.locator("#simulation-error").inner_text()  # answered on the page
    page.get_by_label("Nombre de scénarios").fill("20000")
    page.get_by_label("Attrition moyenne").fill("0,2")
    page.get_by_role("button", name="Lancer la simulation").click()
    page.wait_for_url(f"{base}/contracts/{C}/simulation?job=*")
    page.screenshot(path=str(tmp_path / "simulation-asked.png"), full_page=True)
    page.wait_for_selector("#simulation-result", timeout=60_000)  # htmx polls the job until it is done
    payer = page.locator("#risk-payer").inner_text()
    assert "Probabilité qu'un paiement soit dû alors que le programme n'a aucun effet réel" in payer
    assert "Coût pour le payeur : 5 % des scénarios sous" in payer.replace("\u202f", " ").replace("\u00a0", " ")
    assert "TRI médian" in page.locator("#risk-investors").inner_text()
    assert page.get_by_label("Attrition moyenne").input_value() == "0.2"  # the assumptions it ran with
    page.screenshot(path=str(tmp_path / "simulation-result.png"), full_page=True)

    page.get_by_role("link", name="Rapports").click()
    page.wait_for_url(f"{base}/contracts/{C}/reports")
    page.get_by_label("Rapport", exact=True).select_option("public")
    page.get_by_label("Format").select_option("pdf")
    page.get_by_role("button", name="Faire le rapport").click()
    page.wait_for_url(f"{base}/contracts/{C}/reports?job=*")
    link = page.locator("a.job-file")
    link.wait_for(timeout=120_000)
    assert link.inner_text() == f"Télécharger temoin-{C}-public-fr.pdf"
    page.screenshot(path=str(tmp_path / "report-ready.png"), full_page=True)
    with page.expect_download() as info:
        link.click()
    pdf = tmp_path / "public.pdf"
    info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Prévenir les placements par l'AEMO renforcée" in " ".join(text.split())
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    from PIL import Image

    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    assert sum(image.histogram()[:128]) > 0.005 * image.width * image.height  # text and figures, not an empty page
