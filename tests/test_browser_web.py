"""End to end in Debian's Chromium, driven by Playwright, against the app served by uvicorn on
127.0.0.1: sign in as each role, upload a wrong then a right file, follow a contract to its
approved settlement, switch language, and download the PDF report (first page rendered by
pdftoppm, and not blank)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from conftest import missing_component
from temoin.settings import Settings
from test_web_support import Site, make_site

SETTINGS = Settings()  # as an entry point would pass them

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
C = "aemo-renforcee"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free local port, for the browser; its base address."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:

    from temoin.store import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'b.db'}")
    migrate(engine)
    site = make_site(engine)
    with serving(site.app) as base:
        yield base, site
    engine.dispose()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing_component("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True, accept_downloads=True,
            locale="fr-FR")  # a French reader: the browser asks for French (Accept-Language)
        try:
            yield context.new_page()
        finally:
            context.close()


def sign_in(page: Any, base: str, site: Site, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(site.accounts[username].password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/contracts")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_selector("text=Se connecter")


def test_sign_in_as_each_role(served: tuple[str, Site], page: Any) -> None:
    base, site = served
    for username in ("admin", "payeur", "operateur", "investisseur", "evaluateur", "observateur", "investisseur-autre"):
        sign_in(page, base, site, username)
        assert page.locator("h1").inner_text() == "Mes contrats"
        links = page.locator("table a").all_inner_texts()
        aemo = "Prévenir les placements par l'AEMO renforcée (Nord)"
        assert (aemo in " ".join(links)) == (username != "investisseur-autre"), username
        sign_out(page)
    sign_in(page, base, site, "investisseur-autre")
    page.goto(f"{base}/contracts/{C}")
    assert "accès refusé" in page.locator("[role=alert]").inner_text()


def _participants_csv(tmp: Path) -> Path:
    from temoin.services.evaluations import generate_synthetic

    path = tmp / "participants.csv"
    generate_synthetic(None, C, path, settings=SETTINGS)
    return path


def _participant_count(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM cohort_participants")).scalar_one())


def test_upload_with_errors_then_good_then_follow_to_settlement(served: tuple[str, Site], page: Any,
                                                                tmp_path: Path) -> None:
    base, site = served
    good = _participants_csv(tmp_path)
    lines = good.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    row = lines[2].split(",")
    row[head.index("sex")] = "Z"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], ",".join(row), *lines[3:]]), encoding="utf-8")

    sign_in(page, base, site, "operateur")
    page.goto(f"{base}/contracts/{C}/data")
    page.get_by_label("Fichier").set_input_files(str(bad))
    page.get_by_role("button", name="Vérifier et importer").click()
    errors = page.locator("#row-errors")
    errors.wait_for()
    assert "Sexe" in errors.inner_text() and "Z" in errors.inner_text()  # the column by its label
    assert errors.locator("tbody tr").count() == 1
    assert _participant_count(site) == 0
    page.get_by_label("Fichier").set_input_files(str(good))
    page.get_by_role("button", name="Vérifier et importer").click()
    page.locator("#import-ok").wait_for()
    assert "1\u202f150 lignes" in page.locator("#import-ok").inner_text()  # French digit groups
    assert _participant_count(site) == 1150
    sign_out(page)

    from temoin.services.evaluations import generate_synthetic

    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/contracts/{C}/evaluation")
    page.get_by_role("button", name="Randomiser la cohorte").click()
    page.get_by_role("button", name="Verrouiller le plan d'analyse").click()
    page.locator("#plan-locked").wait_for()
    for wave in ("m12", "m24"):
        path = tmp_path / f"{wave}.csv"
        generate_synthetic(site.engine, C, path, wave=wave, settings=SETTINGS)
        page.goto(f"{base}/contracts/{C}/data")
        page.get_by_label("Vague").select_option(wave)
        page.get_by_label("Fichier").set_input_files(str(path))
        page.get_by_role("button", name="Vérifier et importer").click()
        page.locator("#import-ok").wait_for()
    page.goto(f"{base}/contracts/{C}/evaluation")
    page.get_by_role("button", name="Exécuter le plan verrouillé").click()
    page.locator("#results").wait_for()
    assert page.locator("figure svg").count() >= 3
    sign_out(page)

    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}/settlement")
    page.get_by_role("button", name="Enregistrer un règlement à partir de la dernière évaluation").click()
    blocked = page.get_by_role("button", name="Approuver le paiement")  # not certified yet: shown disabled, with why
    assert blocked.is_disabled()
    assert "en attente de la certification par l'évaluateur" in page.locator("#settlements").inner_text()
    sign_out(page)
    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/contracts/{C}/settlement")
    page.get_by_role("button", name="Certifier les résultats").click()
    sign_out(page)
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}/settlement")
    page.get_by_role("button", name="Approuver le paiement").click()
    approvals = page.locator("#settlements tbody tr").first.inner_text()
    assert "certification par l'évaluateur" in approvals and "approbation du payeur" in approvals
    assert page.locator("figure svg").count() >= 2  # waterfall, investors


def test_switch_language(served: tuple[str, Site], page: Any) -> None:
    base, site = served
    sign_in(page, base, site, "observateur")
    page.goto(f"{base}/contracts/{C}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Garde-fous").count() == 1
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("heading", name="Safeguard findings").count() == 1
    page.get_by_role("link", name="Audit ledger").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Chain whole" in page.locator("#ledger-status").inner_text()


def test_download_pdf_first_page_not_blank(served: tuple[str, Site], page: Any, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        missing_component("pdftoppm (Debian package poppler-utils) is not installed")
    base, site = served
    sign_in(page, base, site, "investisseur")
    page.goto(f"{base}/contracts/{C}/settlement")
    with page.expect_download() as info:
        page.locator("#pdf-link").click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    from PIL import Image

    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 0.005 * image.width * image.height  # text and figures, not an empty page


# WCAG 2 relative luminance and contrast, computed in the page on the rendered styles: every text
# node's colour against the first opaque background behind it.
_A11Y_JS = """() => {
  const lum = (rgb) => { const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                         return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
                                 if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3); } return [255, 255, 255]; };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement; if (!n.textContent.trim() || !el || el.closest('svg')) continue;
    const st = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (st.visibility === 'hidden' || st.display === 'none' || r.width === 0 || r.right < 0) continue;
    const a = lum(parse(st.color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && parseInt(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(n.textContent.trim().slice(0, 40) + ' ' + ratio.toFixed(2));
  }
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML.slice(0, 80));
  return {low, unlabelled};
}"""


def test_pages_have_labels_contrast_and_keyboard_access(served: tuple[str, Site], page: Any) -> None:
    base, site = served
    sign_in(page, base, site, "evaluateur")
    for path in ("/contracts", f"/contracts/{C}", f"/contracts/{C}/evaluation", f"/contracts/{C}/diagnosis",
                 f"/contracts/{C}/settlement", f"/contracts/{C}/data", f"/contracts/{C}/committee",
                 f"/contracts/{C}/budget", f"/contracts/{C}/ledger", "/public"):
        page.goto(base + path)
        found = page.evaluate(_A11Y_JS)
        assert not found["low"], f"{path}: text below the WCAG AA contrast ratio: {found['low']}"
        assert not found["unlabelled"], f"{path}: form fields without a label: {found['unlabelled']}"
    # keyboard: the first Tab reaches the skip link, which moves focus to the content
    page.goto(f"{base}/contracts/{C}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # then Tab walks the page's links and buttons, each one visibly focused
    seen: list[str] = []
    for _ in range(4):
        page.keyboard.press("Tab")
        tag, text, outline = page.evaluate(
            "[document.activeElement.tagName, document.activeElement.textContent.trim(),"
            " getComputedStyle(document.activeElement).outlineStyle]")
        assert tag in ("A", "BUTTON", "INPUT", "SELECT", "SUMMARY"), (tag, seen)
        assert outline != "none", f"{tag} {text!r} has no visible focus"
        seen.append(text)
    assert seen == ["Mes contrats", "Vue d'ensemble", "Versions", "Évaluation"], seen


def test_diagnosis_runs_as_a_job_with_progress_then_shows_results(served: tuple[str, Site], page: Any,
                                                                 tmp_path: Path) -> None:
    base, site = served
    sign_in(page, base, site, "observateur")
    page.goto(f"{base}/contracts/{C}/diagnosis")
    page.get_by_label("Essais simulés par effet").select_option("5000")
    page.get_by_role("button", name="Lancer le diagnostic").click()
    page.wait_for_url(f"{base}/contracts/{C}/diagnosis?job=*")  # the page answers at once: the job is queued
    page.screenshot(path=str(tmp_path / "diagnosis-asked.png"), full_page=True)
    page.wait_for_selector("#diagnosis-result >> text=5\u202f000 essais simulés", timeout=120_000)  # htmx follows the job
    assert "Probabilité que le payeur paie alors que l'effet réel est nul" in page.locator("#wrongful-payment").inner_text()
    assert page.locator("#diagnosis tbody tr").count() >= 2
    assert "Calculé le" in page.locator("#diagnosis-made").inner_text()
    page.screenshot(path=str(tmp_path / "diagnosis-result.png"), full_page=True)
    page.goto(f"{base}/contracts/{C}/diagnosis")  # the kept result, on the next visit, without waiting
    assert page.locator("#diagnosis-sims").input_value() == "5000"
    assert "5\u202f000 essais simulés" in page.locator("#diagnosis-result").inner_text()
