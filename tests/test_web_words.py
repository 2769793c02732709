"""Every page, for every role, read as a person reads it, in French and in English: no word of the
other language, no raw code, no number written the other language's way.

The site is seeded as ``make demo`` seeds it (contracts, a randomised cohort with two waves, the
locked plan's results, a settlement, a call for projects with its committee, INDIGO's excerpt), so
that every part of every page has something to show. What a page quotes as data in another
language (an INDIGO project's English name, a contract's own words) carries its ``lang``
attribute, as HTML asks, and so do names of people (``translate="no"``): both are left out of
the check; so are the charts (``<svg>``, drawn by
``temoin.reports``, checked by the reports' own tests) and text marked ``<code>`` (identifiers a
person copies: a contract's id, a user name, a fingerprint).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from sqlalchemy import Engine

from _web_words import used_messages
from temoin.examples.synthetic import SyntheticCohort
from temoin.i18n import Translator, catalogue
from temoin.web.context import accepted_language
from temoin.web.render import msg_of
from test_web_support import Site, login, make_site

C = "aemo-renforcee"
ROLES = ("admin", "payer", "operator", "investor", "evaluator", "observer", "other investor")
PUBLIC = ("/", "/login", "/public", f"/public/contracts/{C}", "/public/contracts/cravate-solidaire", "/public/open-data",
          "/no-such-page", "/api/docs", "/calls", "/calls/appel-aemo-nord-2024", "/calls/appel-aemo-nord-2024/record")
SIGNED_IN = ("/calls/new", "/calls/appel-aemo-nord-2024/apply", "/contracts", "/account", "/admin/accounts", f"/contracts/{C}", f"/contracts/{C}/evaluation",
             f"/contracts/{C}/diagnosis", f"/contracts/{C}/settlement", f"/contracts/{C}/committee",
             f"/contracts/{C}/budget", f"/contracts/{C}/ledger", f"/contracts/{C}/data", "/contracts/cravate-solidaire",
             f"/contracts/{C}/extracts", "/research/extracts", f"/research/extracts?contract={C}",
             "/contracts/new", "/contracts/new/form", f"/contracts/{C}/versions", f"/contracts/{C}/edit",
             f"/contracts/{C}/form",
             f"/contracts/{C}/power", f"/contracts/{C}/simulation", f"/contracts/{C}/reports", f"/contracts/{C}/jobs/1",
             f"/contracts/{C}/jobs/2", f"/contracts/{C}/jobs/3")

# Words that give a page away as English or French (whole words, case-insensitive); a few each way
# are enough to catch a forgotten message, a code shown as is or a label of the other language.
ENGLISH = ("the", "and", "of", "with", "without", "months", "share", "days", "children", "welfare", "randomised",
           "control", "trial", "payer", "operator", "investor", "evaluator", "observer", "guarantor", "structurer",
           "actual", "planned", "final", "interim", "yes", "no", "none", "sign", "not", "open", "decided",
           "employment", "training", "health", "education", "homelessness", "superseded", "current", "read")
FRENCH = ("le", "les", "des", "du", "et", "avec", "sans", "mois", "jours", "enfants", "oui", "non", "aucun",
          "payeur", "opérateur", "évaluateur", "investisseur", "règlement", "contrat", "ouvert", "clos")
# A code left raw: snake_case, or key=value (a balance label, a JSON payload's key).
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b\w+=\w+")
# Numbers the other language's way: 1,234 or 3.5 in French; 1 234 or 3,5 in English.
NOT_FRENCH = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\.\d+\b")
NOT_ENGLISH = re.compile(r"\b\d{1,3}(?:[\u202f\u00a0]\d{3})+\b|\b\d+,(?:\d{1,2}|\d{4,})\b")


class _Reader(HTMLParser):
    """The text a person reads on a page (attributes they read included: a menu's label)."""

    SKIPPED = ("script", "style", "svg", "code", "title")

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        other = a.get("lang") not in (None, self.lang) or a.get("translate") == "no"
        if tag in ("input", "meta", "link", "br", "img", "hr"):
            if tag == "input" and a.get("type") == "submit" and not self._skipping():
                self.parts.append(a.get("value") or "")
            return
        self.stack.append((tag, tag in self.SKIPPED or other))
        if not self._skipping():
            self.parts.extend(v for k, v in attrs if k in ("aria-label", "placeholder") and v)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, _ = self.stack.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def read(html: str, lang: str) -> str:
    reader = _Reader(lang)
    reader.feed(html)
    return re.sub(r"\s+", " ", " ".join(reader.parts))


def problems(text: str, lang: str) -> list[str]:
    words = ENGLISH if lang == "fr" else FRENCH
    found = [f"word {w!r}" for w in words if re.search(rf"(?<![\w'’-]){re.escape(w)}(?![\w'’-])", text, re.I)]
    found += [f"code {m!r}" for m in RAW_CODE.findall(text)]
    found += [f"number {m!r}" for m in (NOT_FRENCH if lang == "fr" else NOT_ENGLISH).findall(text)]
    return found


def context(text: str, needle: str) -> str:
    i = text.lower().find(needle.strip("'").lower())
    return text[max(0, i - 60): i + 60] if i >= 0 else ""


def _doctored_cohort(real: Callable[..., SyntheticCohort]) -> Callable[..., SyntheticCohort]:
    """The demo's synthetic cohort made to trip every verdict a page shows conditionally: the harder
    profiles are seldom enrolled (creaming flagged, a gap with the reference population), and at 24
    months most of the programme's very-high-risk children are lost (high attrition, balance that
    differs among those followed)."""

    def cohort(name: str, seed: int = 2026, **kwargs: float) -> SyntheticCohort:
        made = real(name, seed=seed, **(kwargs | {"creaming": 1.0, "attrition": 0.2}))
        plain = made.outcomes
        risk = made.referred.set_index("participant_id")["risk_level"]

        def outcomes(wave: str, arms: Mapping[str, int] | None = None) -> pd.DataFrame:
            out = plain(wave, arms)
            if wave != "m24" or arms is None:
                return out
            lost = out["participant_id"].map(lambda p: arms[p] == 1 and risk[p] == "very_high")
            return out[~lost.to_numpy()].reset_index(drop=True)

        object.__setattr__(made, "outcomes", outcomes)
        return made

    return cohort


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A site with what ``make demo`` records (without its PDF reports), on a cohort that trips every
    verdict (see :func:`_doctored_cohort`), with a withdrawal, a superseded settlement, an amended
    plan, and background jobs done and failed: every part of every page has something to show."""
    import yaml

    from temoin.demo import contracts, evaluation, governance, opendata, settlement
    from temoin.examples import example_path
    from temoin.services import evaluations as ev
    from temoin.services.contracts import import_contract
    from temoin.services.plans import amend_plan
    from temoin.services.rights import record_withdrawal
    from temoin.services.settlements import list_settlements, run_settlement
    from temoin.settings import Settings
    from temoin.store import make_engine, migrate

    folder = tmp_path_factory.mktemp("words")
    engine: Engine = make_engine(f"sqlite:///{folder / 'w.db'}")
    migrate(engine)
    settings, quiet, reader = Settings(), Console(file=io.StringIO()), Translator("fr")
    contracts.show(engine, quiet, reader)
    with pytest.MonkeyPatch.context() as mp:
        doctored = _doctored_cohort(evaluation.synthetic_cohort)
        mp.setattr(evaluation, "synthetic_cohort", doctored)
        evaluation.show(engine, quiet, settings, reader)
        someone = sorted(evaluation.arms_by_identifier(engine, doctored(C), settings))[0]
    record_withdrawal(engine, C, someone, dt.date.today(), settings=settings, actor="demo:operateur")
    ev.evaluate_contract(engine, C, actor="demo")  # the withdrawal counted
    settlement.show(engine, quiet, reader)
    first = next(r for r in list_settlements(engine, C) if r.superseded_by is None)
    run_settlement(engine, C, actor="demo", supersedes=first.id, reason="Correction : vague m24 réimportée")
    governance.show(engine, quiet, reader)
    opendata.show(engine, quiet, settings, reader)
    # the plan amended: a new version of the contract with one more covariate, and its reason
    raw = yaml.safe_load(example_path(C).read_text(encoding="utf-8"))
    raw["evaluation"]["analysis_plan"]["covariates"].append("risk_level")
    (folder / f"{C}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    import_contract(engine, folder / f"{C}.yaml", actor="demo")
    amend_plan(engine, C, reason="Ajustement : niveau de risque déséquilibré après attrition", actor="demo")
    # background jobs of each state the pages show: a simulation and a report done, a report failed
    from temoin.services import jobs
    from temoin.services.job_kinds import KINDS, submit_diagnosis, submit_report, submit_simulation

    submit_simulation(engine, C, {"effect_mean": "40", "effect_sd": "20", "enrolment_low": "0.8", "attrition_mean": "0.1",
                                  "scenarios": "2000", "seed": "1"}, settings=settings, actor="web:payeur")
    submit_report(engine, C, public=True, fmt="html", lang="fr", period="p1", actor="web:investisseur")
    submit_diagnosis(engine, C, {"sims": "1000", "per_month": "20", "closes": "2027-12-31"}, actor="web:observateur")  # with its periods table
    jobs.submit(engine, "report", contract_id=C, actor="web:payeur",
                arguments={"public": False, "format": "pdf", "lang": "fr", "period": "p9"})
    while jobs.run_next(engine, settings, "words", KINDS) is not None:
        pass
    return make_site(engine)


def test_the_seed_trips_every_verdict(seeded: Site) -> None:
    """What the reading test must read: creaming flagged with its details, a gap with the reference
    population, balance that differs, high attrition, a withdrawal, an amended plan, a superseded
    settlement, a job done and one failed."""
    from temoin.services import evaluations as ev
    from temoin.services.plans import plan_status
    from temoin.services.settlements import list_settlements
    from temoin.store import session_scope

    with session_scope(seeded.engine) as s:
        diags = ev.latest_diagnostics(s, C)
    m24 = next(d for k, d in diags.items() if k.endswith("__m24"))
    assert m24["creaming"]["flagged"] and m24["creaming"]["rows"]
    assert any(r["verdict"]["level"] != "ok" for r in m24["representativeness"])
    assert m24["balance"]["verdict"]["level"] != "ok"
    assert m24["attrition"]["verdict"]["level"] != "ok"
    assert m24.get("withdrawn")
    assert plan_status(seeded.engine, C).amendments
    assert any(r.superseded_by is not None for r in list_settlements(seeded.engine, C))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_waves_and_investors_are_named_by_their_labels(seeded: Site, lang: str) -> None:
    """A wave reads "à 12 mois", an investor by its name and rank ("… (senior)"), never by their codes."""
    payer = seeded.signed_in("payer")
    payer.cookies.set("temoin_lang", lang)
    evaluation = read(payer.get(f"/contracts/{C}/evaluation").text, lang)
    assert ("à 24 mois" if lang == "fr" else "at 24 months") in evaluation and " m24" not in evaluation
    simulation = read(payer.get(f"/contracts/{C}/simulation").text, lang)
    assert "banque-solidaire" not in simulation and Translator(lang).label("seniority", "senior") in simulation


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_for_every_role_reads_in_one_language(seeded: Site, lang: str) -> None:
    wrong: list[str] = []
    projects = tuple(sorted(set(re.findall(r'href="(/public/projects/[^"]+)"', seeded.client().get("/public").text))))
    assert projects, "the demo imports INDIGO projects"
    public = PUBLIC + projects
    readers = [("anonymous", seeded.client(), public)] + [(role, seeded.signed_in(role), public + SIGNED_IN) for role in ROLES]
    for role, client, paths in readers:
        client.cookies.set("temoin_lang", lang)
        for path in paths:
            r = client.get(path)
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            assert f'<html lang="{lang}">' in r.text, f"{path} as {role}"
            text = read(r.text, lang)
            wrong += [f"{path} as {role}: {p} … {context(text, p.split(' ', 1)[1])}" for p in problems(text, lang)]
    unique = sorted(set(wrong))
    assert not unique, f"{len(unique)} problems:\n" + "\n".join(unique[:80])


def test_the_checks_catch_what_they_look_for() -> None:
    """The page checks fail on a forgotten English word, a raw code, and a number of the other language."""
    assert problems("Contrat signé le 3 décembre", "fr") == []
    assert problems("Rôle : outcome_payer", "fr") == ["code 'outcome_payer'"]
    assert problems("Durée (months) : 1,250 jours", "fr") == ["word 'months'", "number '1,250'"]
    assert problems("risk_level=very_high", "en")[:1] == ["code 'risk_level'"]
    assert problems("Paid 3,5 of it", "en") == ["number '3,5'"]
    assert read('<p>Nom : <span lang="en">Child and family welfare</span> <code>snake_case</code></p>', "fr").strip() == "Nom :"
    assert problems("1\u202f234,5 € ; 12,50 €", "fr") == [] and problems("1\u202f234 €", "en") == ["number " + repr("1\u202f234")]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_the_web_asks_for_is_in_the_catalogue(lang: str) -> None:
    missing = sorted(m for m in used_messages() if not catalogue(lang).get(m))
    assert not missing, f"messages without a {lang} translation: {missing}"


def test_the_web_has_no_catalogue_of_its_own() -> None:
    web = Path(__file__).resolve().parents[1] / "src" / "temoin" / "web"
    assert not list(web.rglob("*.po")) and not (web / "i18n.py").exists()


def test_the_readers_language_comes_from_the_address_the_cookie_the_account_then_the_browser(seeded: Site) -> None:
    assert accepted_language("en-GB,en;q=0.9,fr;q=0.8") == "en" and accepted_language("de,fr-CA;q=0.5") == "fr"
    assert accepted_language("fr;q=0.2, en;q=0.7") == "en" and accepted_language("de, es") is None
    anonymous = seeded.client()
    assert anonymous.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).headers["content-language"] == "en"
    assert anonymous.get("/", headers={"Accept-Language": "de"}).headers["content-language"] == "fr"  # the setting
    page = anonymous.get("/public", headers={"Accept-Language": "en"}, params={"lang": "fr"})
    assert page.headers["content-language"] == "fr" and '<html lang="fr">' in page.text
    # a signed-in account (its choice: French) reads French although the browser prefers English …
    payer = seeded.signed_in("payer")
    payer.cookies.clear()
    assert login(payer, "payeur", seeded.accounts["payeur"].password).status_code == 303
    payer.cookies.delete("temoin_lang")
    r = payer.get("/contracts", headers={"Accept-Language": "en"})
    assert r.headers["content-language"] == "fr" and "Mes contrats" in r.text
    # … until the reader switches on the page
    assert "My contracts" in payer.get("/contracts", params={"lang": "en"}).text


def test_a_share_reads_in_points_and_a_count_with_its_unit(seeded: Site) -> None:
    page = seeded.signed_in("observer").get(f"/contracts/{C}/evaluation", params={"lang": "fr"}).text
    table = re.search(r'<table id="results">.*?</table>', page, re.S)
    assert table is not None
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>([^<]+)</td>(.*?)</tr>", table.group(0), re.S)}
    placed = rows["Au moins un placement"]  # a 0/1 indicator: its difference in points
    assert re.search(r"[+−]?\d+,\d\u00a0points</td><td class=\"num\">\[[+−]?\d+,\d\u00a0points ; [+−]?\d+,\d\u00a0points\]", placed), placed
    days = rows["Journées de placement"]  # a count: the number and its unit
    assert re.search(r"\d+,\d jours</td>", days), days


def test_texts_stored_in_both_languages_show_the_readers_half(seeded: Site) -> None:
    """A committee's record keeps its reasons as the French and English its members wrote
    ({"fr", "en"}, the older form): each reader reads their half."""
    payer = seeded.signed_in("payer")
    fr = read(payer.get(f"/contracts/{C}/committee", params={"lang": "fr"}).text, "fr")
    en = read(payer.get(f"/contracts/{C}/committee", params={"lang": "en"}).text, "en")
    assert "Meilleure note pondérée" in fr and "Best weighted score" not in fr
    assert "Best weighted score" in en and "Meilleure note pondérée" not in en
    old = {"fr": "Vérifié par l'évaluateur.", "en": "Checked by the evaluator."}
    assert msg_of(Translator("en"))(old) == "Checked by the evaluator." and msg_of(Translator("fr"))(old) == old["fr"]
    stored = {"id": "Unknown wave: '{wave}'.", "params": {"wave": "m36"}}
    assert msg_of(Translator("fr"))(stored) == "Vague inconnue : « m36 »."


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_comparison_of_two_versions_and_the_reports_read_in_one_language(seeded: Site, lang: str) -> None:
    """The comparison of two versions (the payer's, with parties, amounts, labels and texts changed)
    and the report of a text with problems read in the reader's language."""
    from test_web_support import csrf_of

    payer = seeded.signed_in("payer", lang=lang)
    source = (Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
              ).read_text(encoding="utf-8").replace("id: aemo-renforcee", f"id: words-{lang}", 1)
    token = csrf_of(payer, "/contracts/new")
    assert payer.post("/contracts/new", data={"csrf_token": token, "document": source, "action": "save"},
                      follow_redirects=False).status_code == 303
    changed = (source.replace("expected_size: 800", "expected_size: 640").replace("design: stratified_rct", "design: individual_rct")
               .replace("name: Département du Nord", "name: Département du Nord (direction enfance)")
               .replace("max_commitment: \"2200000.00\"", "max_commitment: \"2300000.00\"")
               .replace("basis: lower_confidence_bound", "basis: point_estimate"))
    assert changed.count("point_estimate") == 1 and "2300000.00" in changed
    assert payer.post(f"/contracts/words-{lang}/edit", data={"csrf_token": token, "document": changed, "action": "save"},
                      follow_redirects=False).status_code == 303
    wrong: list[str] = []
    for path in (f"/contracts/words-{lang}/versions?a=1&b=2", f"/contracts/words-{lang}/edit", f"/contracts/words-{lang}/form",
                 f"/contracts/words-{lang}/ledger"):
        r = payer.get(path)
        assert r.status_code == 200, path
        if "versions" in path:  # four changes, each in words
            assert r.text.count("</td></tr>") >= 4 and ("Base du paiement" if lang == "fr" else "Payment basis") in r.text
        wrong += [f"{path}: {p}" for p in problems(read(r.text, lang), lang)]
    check = payer.post("/contracts/new/check", headers={"X-CSRF-Token": token},
                       data={"document": source.replace("policy_sector: child_protection", "policy_sector: kids")})
    wrong += [f"check: {p}" for p in problems(read(check.text, lang), lang)]
    assert not wrong, "\n".join(wrong)
