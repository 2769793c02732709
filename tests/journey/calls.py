"""Part 1 of the whole-chain journey: from an EMPTY platform (one administrator account, made by the
server command at installation) to a signed contract with its people, every step in the browser,
each person signing in as themself.

The administrator makes the accounts people need and states that the payer's account acts for the
Département du Nord; the payer drafts a call (criteria and weights, budget, timetable, committee
with civil-society seats) and publishes it for consultation; a network (signed in) and a member of
the public (anonymous) comment, the payer answers both; the call opens; two operators apply with a
document; the committee members file their declarations of interests, one declares an interest in
an applicant and is recused automatically (the page shows it and offers no score form); the others
score per criterion; the payer decides with reasons; an anonymous visitor reads the public record.
The payer then starts the contract from the selected application, reads the safeguard report as
they write, saves version 1, makes version 2 with the guided form, reads the comparison, signs;
invites the operator, an evaluator, an investor and a civil-society observer, who each accept with
their account; the people page shows every role.

The one thing not done in the browser is waiting for the calendar: a call's dates are French days
(``temoin.services.calls.today``), and the journey moves that clock (the server runs in this
process) instead of waiting three weeks for the consultation to end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

import temoin.services.calls as calls_service
from journey.state import JourneyState
from temoin.examples import example_path

PASSWORD = "quatre mots bien choisis ici"
CALL = "aap-nord-2027"
CONTRACT = "aemo-nord-2027"
ADMIN = ("admin", "mot de passe de l'installation")
"""The administrator account installation makes (``temoin user add admin --admin``)."""

PEOPLE = {  # role → (user name, display name); the administrator makes these accounts
    "payer": ("elise", "Élise Martin"),
    "operator": ("horizon", "Luc Moreau (Horizon Familles)"),
    "operator-2": ("liens", "Nadia Haddad (Liens Solidaires)"),
    "evaluator": ("jean", "Jean Dubois"),
    "investor": ("anne", "Anne Petit"),
    "observer": ("karim", "Karim Benali (Union des associations)"),
    "member-families": ("sophie", "Sophie Lefebvre"),
    "member-expert": ("camille", "Camille Roux"),
}


class Shots:
    """Screenshots named ``<nn>-<role>-<page>.png``, one per page per role."""

    def __init__(self, page: Any, folder: Path, start: int = 0) -> None:
        self.page, self.folder, self.count = page, folder, start
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, role: str, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{role}-{name}.png"), full_page=True)


@contextmanager
def call_calendar(first_day: dt.date) -> Iterator[Callable[[dt.date], None]]:
    """The calls' calendar set to ``first_day``; the function it yields moves it to another day."""
    day = {"today": first_day}
    real = calls_service.today
    calls_service.today = lambda: day["today"]  # type: ignore[assignment]
    try:
        yield lambda d: day.update(today=d)
    finally:
        calls_service.today = real  # type: ignore[assignment]


def sign_in(page: Any, base: str, username: str, password: str, *, then: str | None = None) -> None:
    page.goto(f"{base}/login" + (f"?next={then}" if then else ""))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}{then or '/contracts'}")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_selector("text=Se connecter")


def _admin_makes_accounts(page: Any, base: str, snap: Shots) -> None:
    sign_in(page, base, *ADMIN)
    page.get_by_role("link", name="Comptes").first.click()
    page.wait_for_url(f"{base}/admin/accounts")
    for username, name in PEOPLE.values():
        page.get_by_label("Identifiant", exact=True).fill(username)
        page.get_by_label("Nom", exact=True).fill(name)
        page.get_by_label("Mot de passe (au moins 10 caractères)").fill(PASSWORD)
        page.get_by_role("button", name="Créer le compte").click()
        assert username in page.locator("[role=status]").first.inner_text()
    # the payer's account acts for the Département du Nord (an identity fact; no contract role)
    page.get_by_label("Compte", exact=True).select_option(PEOPLE["payer"][0])
    page.get_by_label("Identifiant de l'organisme").fill("dept-nord")
    page.get_by_label("Nom de l'organisme").fill("Département du Nord")
    page.get_by_role("button", name="Enregistrer : ce compte agit pour ce payeur").click()
    assert "Département du Nord" in page.locator("#payer-stated").inner_text()
    snap("admin", "accounts")
    sign_out(page)


def _payer_drafts_and_publishes(page: Any, base: str, snap: Shots) -> None:
    sign_in(page, base, PEOPLE["payer"][0], PASSWORD)
    page.get_by_role("link", name="Appels à projets").first.click()
    page.get_by_role("link", name="Rédiger un appel à projets").click()
    page.get_by_label("Identifiant de l'appel").fill(CALL)
    page.get_by_label("Titre en français").fill("Appel 2027 : prévenir les placements d'enfants")
    page.get_by_label("Titre en anglais").fill("Call 2027: preventing child placements")
    page.get_by_label("Objectifs").fill("Réduire les placements d'enfants dans le Nord par un accompagnement "
                                        "renforcé des familles à domicile.")
    page.get_by_label("Budget total").fill("2 200 000")
    page.get_by_label("Consultation : premier jour").fill("2027-01-10")
    page.get_by_label("Consultation : dernier jour").fill("2027-01-30")
    page.get_by_label("Candidatures : date de clôture").fill("2027-03-01")
    page.get_by_label("Date de décision").fill("2027-03-20")
    page.get_by_label("Critères de sélection").fill("impact | Impact attendu | Expected impact | 3\n"
                                                    "faisabilite | Faisabilité | Feasibility | 2")
    observer, families, expert = PEOPLE["observer"][0], PEOPLE["member-families"][0], PEOPLE["member-expert"][0]
    page.get_by_label("Comité de sélection").fill(f"{observer} | union-assos | civil_society\n"
                                                  f"{families} | collectif-familles | beneficiary\n"
                                                  f"{expert} | labo-eval | expert")
    snap("payer", "call-draft")
    page.get_by_role("button", name="Enregistrer le projet d'appel").click()
    page.wait_for_url(f"{base}/calls/{CALL}")
    assert "projet (non publié)" in page.locator("#call-stage").inner_text()
    page.get_by_role("button", name="Publier pour la consultation").click()
    page.wait_for_selector("#call-done")
    assert "en consultation publique" in page.locator("#call-stage").inner_text()
    snap("payer", "call-published")
    sign_out(page)


def _consultation(page: Any, base: str, snap: Shots, move_to: Callable[[dt.date], None]) -> None:
    # a registered network comments, signed in
    sign_in(page, base, PEOPLE["observer"][0], PASSWORD)
    page.goto(f"{base}/calls/{CALL}")
    page.get_by_label("Votre commentaire").fill("Les associations de familles siégeront-elles au comité de suivi ?")
    page.get_by_role("button", name="Envoyer le commentaire").click()
    page.wait_for_selector("#call-done")
    snap("observer", "call-comment")
    sign_out(page)
    # a member of the public, anonymous
    page.goto(f"{base}/calls/{CALL}")
    page.get_by_label("Votre nom ou votre organisation").fill("Jeanne Martin")
    page.get_by_label("Votre commentaire").fill("Les familles rurales seront-elles concernées ?")
    page.get_by_role("button", name="Envoyer le commentaire").click()
    page.wait_for_selector("#call-done")
    assert "Jeanne Martin" not in page.content()  # a private commenter's name is never published
    snap("public", "call-comment")
    # the payer answers both, then opens the call once the consultation has ended
    sign_in(page, base, PEOPLE["payer"][0], PASSWORD)
    page.goto(f"{base}/calls/{CALL}")
    for answer in ("Oui : le collectif des familles siège au comité de sélection.", "Oui : tout le département."):
        page.get_by_label("Votre réponse (publiée)").first.fill(answer)
        page.get_by_role("button", name="Publier la réponse").first.click()
        page.wait_for_selector("#call-done")
    move_to(dt.date(2027, 1, 31))
    page.goto(f"{base}/calls/{CALL}")
    page.get_by_role("button", name="Ouvrir l'appel aux candidatures").click()
    page.wait_for_selector("#call-done")
    assert "ouvert aux candidatures" in page.locator("#call-stage").inner_text()
    snap("payer", "call-opened")
    sign_out(page)


def _apply(page: Any, base: str, snap: Shots, role: str, short: str, organisation: str, title: str) -> None:
    sign_in(page, base, PEOPLE[role][0], PASSWORD)
    page.goto(f"{base}/calls/{CALL}")
    page.get_by_role("link", name="Candidater").click()
    page.get_by_label("Identifiant court").fill(short)
    page.get_by_label("Votre organisation").fill(organisation)
    page.get_by_label("Titre du projet").fill(title)
    page.get_by_label("Résumé du projet").fill("Un accompagnement intensif des familles, à domicile.")
    page.locator("#apply-documents").set_input_files(
        [{"name": "dossier.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% dossier de candidature\n"}])
    snap(role, "call-apply")
    page.get_by_role("button", name="Envoyer la candidature").click()
    page.wait_for_selector("#call-done")
    assert title in page.locator("#call-applications").inner_text()
    sign_out(page)


HORIZON = "AEMO renforcée, Horizon Familles"
LIENS = "Familles en lien, Liens Solidaires"


def _committee(page: Any, base: str, snap: Shots) -> None:
    for role in ("observer", "member-families", "member-expert"):
        sign_in(page, base, PEOPLE[role][0], PASSWORD)
        page.goto(f"{base}/calls/{CALL}")
        page.get_by_role("link", name="Comité : déclarations et notes").click()
        page.wait_for_url(f"{base}/calls/{CALL}/committee")
        for app in ("horizon", "liens"):
            form = page.locator(f"#declare-{app}")
            if role == "member-families" and app == "horizon":
                form.get_by_label("J'ai un intérêt dans cette candidature").check()
                form.get_by_label("Sa nature").fill("Mon frère dirige l'association")
            else:
                form.get_by_label("Je n'ai aucun intérêt dans cette candidature").check()
            form.get_by_role("button", name="Déposer la déclaration").click()
            page.wait_for_selector(f"#app-{app} >> text=Déclaration déposée")
        if role == "member-families":
            assert "Vous êtes récusé" in page.locator("#recused-horizon").inner_text()
            assert page.locator("#score-horizon").count() == 0  # scoring that applicant is not offered
        for app, marks in (("horizon", ("8", "7")), ("liens", ("6", "6"))):
            if page.locator(f"#score-{app}").count():
                form = page.locator(f"#score-{app}")
                form.get_by_label("Impact attendu").fill(marks[0])
                form.get_by_label("Faisabilité").fill(marks[1])
                form.get_by_role("button", name="Enregistrer mes notes").click()
                page.wait_for_selector(f"#app-{app} >> text=Vos notes sont enregistrées.")
        snap(role, "call-committee")
        sign_out(page)


def _decision_and_record(page: Any, base: str, snap: Shots) -> None:
    sign_in(page, base, PEOPLE["payer"][0], PASSWORD)
    page.goto(f"{base}/calls/{CALL}")
    page.get_by_label(HORIZON).check()
    page.get_by_label("Motifs (publiés)").fill("Projet le mieux noté, conforme aux objectifs de l'appel.")
    snap("payer", "call-decision")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(f"{base}/calls/{CALL}/record")
    sign_out(page)
    page.goto(f"{base}/calls/{CALL}/record")
    assert PEOPLE["member-families"][1] in page.locator("#record-recusals").inner_text()
    assert "Projet le mieux noté" in page.locator("#record-decision").inner_text()
    results = page.locator("#record-results").inner_text()
    assert "7,60" in results and "6,00" in results  # (3 × 8 + 2 × 7) / 5 and (3 × 6 + 2 × 6) / 5
    assert "Jeanne Martin" not in page.content()
    snap("public", "call-record")


def contract_text(prefilled: str) -> str:
    """The contract the payer writes from the pre-filled text: the programme, the operator, the
    payer and the selection committee come from the call; the rest is written out (here, the
    figures of the bundled AEMO example, as a payer would adapt a model), and the selection
    committee's declarations of interests are those its members filed with the call."""
    pre = yaml.safe_load(prefilled)
    data = yaml.safe_load(example_path("aemo-renforcee").read_text(encoding="utf-8"))
    data["id"] = CONTRACT
    data["title"] = pre["title"]
    by_role = {p["roles"][0]: p for p in pre["parties"]}
    for party in data["parties"]:
        if party["roles"] == ["operator"]:  # the application gives the identifier; the payer writes the name
            party.update(id=by_role["operator"]["id"], name="Association Horizon Familles")
        if party["roles"] == ["outcome_payer"]:
            assert by_role["outcome_payer"]["id"] == party["id"] == "dept-nord"
    pre_selection = next(c for c in pre["governance"]["committees"] if c["kind"] == "selection")
    selection = next(c for c in data["governance"]["committees"] if c["kind"] == "selection")
    selection.update(id=pre_selection["id"], members=pre_selection["members"])
    carried = pre["governance"]["declarations"]  # the members' declarations to the call, carried over
    assert {d["person"] for d in carried} == {m["person"] for m in pre_selection["members"]}
    data["governance"]["declarations"] += carried
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _contract(page: Any, base: str, snap: Shots) -> None:
    sign_in(page, base, PEOPLE["payer"][0], PASSWORD)
    page.get_by_role("link", name="Nouveau contrat").click()
    page.wait_for_url(f"{base}/contracts/new")
    page.locator("#applications").get_by_role("link", name=HORIZON).click()
    prefilled = page.get_by_label("Texte du contrat (YAML)").input_value()
    assert "horizon-familles" in prefilled and "dept-nord" in prefilled
    page.get_by_label("Texte du contrat (YAML)").fill(contract_text(prefilled))
    page.locator("#safeguards").wait_for()
    report = page.locator("#report").inner_text()
    assert "Tous les garde-fous bloquants sont respectés." in page.locator("#safeguard-summary").inner_text(), report
    snap("payer", "contract-new")
    page.get_by_role("button", name="Enregistrer la version 1").click()
    page.wait_for_url(f"{base}/contracts/{CONTRACT}/versions?saved=1")
    page.get_by_role("link", name="Modifier avec le formulaire guidé").click()
    page.wait_for_url(f"{base}/contracts/{CONTRACT}/form")
    page.get_by_label("Effectif prévu").fill("760")
    snap("payer", "contract-form")
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    page.wait_for_url(f"{base}/contracts/{CONTRACT}/versions?saved=2")
    changes = page.locator("#changes tbody tr")
    assert changes.first.inner_text().split("\t") == ["Population › Effectif prévu", "modifié", "800", "760"]
    snap("payer", "contract-versions")
    page.get_by_role("button", name="Signer la version 2").click()
    page.wait_for_url(f"{base}/contracts/{CONTRACT}/versions")
    assert "La version 2 a été signée le" in page.locator("#signature").inner_text()
    snap("payer", "contract-signed")


INVITED = {  # role in the journey → (role in the contract, party)
    "operator": ("operator", "horizon-familles"),
    "evaluator": ("evaluator", "labo-eval"),
    "investor": ("investor", "banque-solidaire"),
    "observer": ("civil_society_observer", "union-assos"),
}


def _people(page: Any, base: str, snap: Shots) -> None:
    links = {}
    page.goto(f"{base}/contracts/{CONTRACT}")
    page.get_by_role("link", name="Personnes et rôles").click()
    page.wait_for_url(f"{base}/contracts/{CONTRACT}/people")
    for role, (contract_role, party) in INVITED.items():
        username, name = PEOPLE[role]
        page.get_by_label("Adresse électronique").fill(f"{username}@example.org")
        page.get_by_label("Nom de la personne").fill(name)
        page.get_by_label("Rôle", exact=True).select_option(contract_role)
        page.get_by_label("Pour la partie").select_option(party)
        page.get_by_role("button", name="Inviter", exact=True).click()
        page.wait_for_selector("#invitation-made")
        links[role] = page.locator("#invitation-link").input_value()
    snap("payer", "contract-invitations")
    sign_out(page)
    for role, link in links.items():
        page.goto(link)
        token = link.removeprefix(f"{base}/invitations/").split("?")[0]
        page.get_by_role("link", name="Connectez-vous pour accepter avec lui").click()
        sign_in_here(page, base, PEOPLE[role][0], f"/invitations/{token}")
        snap(role, "invitation")
        page.get_by_role("button", name=f"Accepter en tant que {PEOPLE[role][0]}").click()
        page.wait_for_url(f"{base}/contracts/{CONTRACT}")
        sign_out(page)
    sign_in(page, base, PEOPLE["payer"][0], PASSWORD)
    page.goto(f"{base}/contracts/{CONTRACT}/people")
    people = page.locator("#people").inner_text()
    for role in ("payer", *INVITED):
        assert PEOPLE[role][0] in people, role
    snap("payer", "contract-people")
    sign_out(page)


def sign_in_here(page: Any, base: str, username: str, then: str) -> None:
    """Sign in on the sign-in page already open, which then returns to ``then``."""
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: url.split("?")[0] == f"{base}{then}")


def call_to_signed_contract(browser: Any, base_url: str, shots: Path) -> JourneyState:
    """Part 1, in the Playwright page ``browser`` (French), against the platform at ``base_url``
    whose database holds only the installation's administrator (``ADMIN``). Screenshots go to
    ``shots``. Returns the signed contract and every account."""
    page, base = browser, base_url.rstrip("/")
    snap = Shots(page, shots)
    with call_calendar(dt.date(2027, 1, 10)) as move_to:
        _admin_makes_accounts(page, base, snap)
        _payer_drafts_and_publishes(page, base, snap)
        _consultation(page, base, snap, move_to)
        _apply(page, base, snap, "operator", "horizon", "horizon-familles", HORIZON)
        _apply(page, base, snap, "operator-2", "liens", "liens-solidaires", LIENS)
        _committee(page, base, snap)
        _decision_and_record(page, base, snap)
    _contract(page, base, snap)
    _people(page, base, snap)
    accounts = {"admin": ADMIN} | {role: (username, PASSWORD) for role, (username, _) in PEOPLE.items()}
    return JourneyState(CONTRACT, accounts, snap.count)
