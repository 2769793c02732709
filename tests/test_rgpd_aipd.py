"""The AIPD pre-filled where the platform knows: hosting and backups as the host states them ("non
renseigné par l'hébergeur" when not), transfers by the hosting country, and each CNIL risk with a
proposed severity and likelihood and its reasons, marked as a proposal. Each setting changes the
document the way the rule written out here says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine

from temoin.contract.data_protection import DataClass, RiskLevel
from temoin.contract.loading import load_contract
from temoin.contract.model import Contract
from temoin.errors import InvalidInputError
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.reports.rgpd import register_html
from temoin.services.aipd import backups, hosting, proposed_risks, transfers
from temoin.services.contracts import import_contract
from temoin.services.registre import processing_record
from temoin.settings import Settings, load_settings

FR = Translator("fr")
N, L, S, M = RiskLevel.NEGLIGIBLE, RiskLevel.LIMITED, RiskLevel.SIGNIFICANT, RiskLevel.MAXIMUM
SAFE: dict[str, Any] = {"pseudonym_secret": "f" * 64, "secret_key": "e" * 64, "public_url": "https://temoin.example.fr",
                        "hosting_provider": "OVHcloud", "hosting_country": "FR", "hosting_hds": True,
                        "backup_interval_hours": 24, "backup_retention_days": 35, "backup_encrypted": True}
"""Everything stated and protected."""


def _child() -> Contract:
    return load_contract(example_path("aemo-renforcee"))  # child protection: vulnerable people


def _jobs() -> Contract:
    return load_contract(example_path("cravate-solidaire"))  # employment, no attribute classed


def _levels(contract: Contract, **settings: Any) -> list[tuple[RiskLevel, RiskLevel]]:
    return [(r["severity"], r["likelihood"]) for r in proposed_risks(contract, Settings(**settings))]


def _why(contract: Contract, **settings: Any) -> list[str]:
    return [" ".join(FR.render(m) for m in r["severity_why"] + r["likelihood_why"])
            for r in proposed_risks(contract, Settings(**settings))]


def test_the_levels_follow_what_is_configured() -> None:
    # access: severity significant for vulnerable people, one step more while the pseudonym secret is the
    # default; likelihood limited, one step more per weakness (no HTTPS, default session secret, database
    # without TLS, backups not encrypted). Change: limited; negligible, + no HTTPS + default session secret.
    # Disappearance: significant; negligible with daily backups kept a month, significant with none stated.
    assert _levels(_child(), **SAFE) == [(S, L), (L, N), (S, N)]
    assert _levels(_child()) == [(M, M), (L, S), (S, S)]
    assert _levels(_jobs(), **SAFE) == [(L, L), (L, N), (S, N)]  # not vulnerable, nothing classed sensitive
    assert _levels(_jobs(), **(SAFE | {"pseudonym_secret": Settings().pseudonym_secret})) == [(S, L), (L, N), (S, N)]
    assert _levels(_child(), **(SAFE | {"public_url": ""})) == [(S, S), (L, L), (S, N)]
    assert _levels(_child(), **(SAFE | {"secret_key": Settings().secret_key})) == [(S, S), (L, L), (S, N)]
    assert _levels(_child(), **(SAFE | {"database_url": "postgresql+psycopg://u@db.example.fr/t"})) == [(S, S), (L, N), (S, N)]
    assert _levels(_child(), **(SAFE | {"database_url": "postgresql+psycopg://u@db/t?sslmode=require"})) == [(S, L), (L, N), (S, N)]
    assert _levels(_child(), **(SAFE | {"backup_encrypted": False})) == [(S, S), (L, N), (S, N)]
    assert _levels(_child(), **(SAFE | {"backup_encrypted": None})) == [(S, S), (L, N), (S, N)]
    assert _levels(_child(), **(SAFE | {"backup_interval_hours": 48})) == [(S, L), (L, N), (S, L)]
    assert _levels(_child(), **(SAFE | {"backup_retention_days": 7})) == [(S, L), (L, N), (S, L)]
    assert _levels(_child(), **(SAFE | {"backup_retention_days": None})) == [(S, L), (L, N), (S, L)]
    assert _levels(_child(), **(SAFE | {"backup_interval_hours": 168, "backup_retention_days": 7})) == [(S, L), (L, N), (S, S)]
    assert _levels(_child(), **(SAFE | {"backup_interval_hours": None})) == [(S, L), (L, N), (S, S)]
    sensitive = _jobs().model_copy(update={"population": _jobs().population.model_copy(update={"attributes": [
        a.model_copy(update={"data_class": DataClass.JUSTICE}) for a in _jobs().population.attributes[:1]]})})
    assert _levels(sensitive, **SAFE)[0] == (S, L)


def test_each_level_comes_with_its_reasons_in_words() -> None:
    default, safe = _why(_child()), _why(_child(), **SAFE)
    assert "Les personnes suivies sont vulnérables (protection de l'enfance)" in default[0]
    assert "Le secret de pseudonymisation est la valeur par défaut de développement" in default[0]
    assert "Aucune adresse publique HTTPS configurée" in default[0] and "une session pourrait être forgée" in default[0]
    assert "Les pseudonymes ne peuvent être levés sans le secret de pseudonymisation" in safe[0]
    assert "aucune faiblesse de configuration ne la rend plus probable" in safe[0]
    assert "Aucune sauvegarde de la base déclarée par l'hébergeur" in default[2]
    assert "Sauvegardes toutes les 24 heure(s), selon l'hébergeur." in safe[2]
    late = _why(_child(), **(SAFE | {"backup_interval_hours": 72, "backup_retention_days": None}))[2]
    assert "plus d'une journée d'enregistrements pourrait être perdue" in late
    assert "Sauvegardes conservées : non renseigné par l'hébergeur ; un dommage remarqué tard" in late
    assert "Aucun attribut sensible classé et un secteur (emploi)" in _why(_jobs(), **SAFE)[0]


def test_hosting_backups_and_transfers_say_not_stated_instead_of_a_blank() -> None:
    default = [FR.render(m) for m in hosting(Settings(), _child()) + backups(Settings())]
    assert default == ["Hébergeur : non renseigné par l'hébergeur.", "Pays : non renseigné par l'hébergeur.",
                       "Certifié hébergeur de données de santé (HDS) : non renseigné par l'hébergeur.",
                       "Fréquence : non renseigné par l'hébergeur.", "Conservation : non renseigné par l'hébergeur.",
                       "Chiffrées : non renseigné par l'hébergeur."]
    stated = [FR.render(m) for m in hosting(Settings(**SAFE), _child()) + backups(Settings(**SAFE))]
    assert stated == ["Hébergeur : OVHcloud.", "Pays : FR (Espace économique européen).",
                      "Certifié hébergeur de données de santé (HDS) : oui.", "Fréquence : toutes les 24 heure(s).",
                      "Conservation : 35 jour(s).", "Chiffrées : oui."]
    assert FR.render(transfers(Settings())).startswith("aucun par Témoin ; à confirmer")
    assert FR.render(transfers(Settings(hosting_country="de"))) == \
        "aucun : les données sont hébergées dans l'Espace économique européen (DE)"
    assert FR.render(transfers(Settings(hosting_country="US"))).startswith(
        "les données sont hébergées hors de l'Espace économique européen (US) : l'encadrement du transfert")
    health = _child().model_copy(update={"population": _child().population.model_copy(update={"attributes": [
        a.model_copy(update={"data_class": DataClass.HEALTH}) for a in _child().population.attributes]})})
    for hds, shown in ((None, True), (False, True), (True, False)):
        lines = [FR.render(m) for m in hosting(Settings(hosting_hds=hds), health)]
        assert any("appelle un hébergeur certifié HDS" in x for x in lines) is shown


def test_a_country_that_is_not_a_code_is_refused_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMOIN_HOSTING_COUNTRY", "France")
    with pytest.raises(InvalidInputError) as exc:
        load_settings()
    said = FR.render(exc.value.msg)
    assert "TEMOIN_HOSTING_COUNTRY" in said and "« FRANCE » n'est pas un code pays à deux lettres" in said


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _section(html: str, ident: str) -> str:
    return _text(html.split(f'id="{ident}"')[1].split("</ul>")[0].split("</td>")[0])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_setting_changed_changes_the_register_and_the_aipd(sqlite_engine: Engine, lang: str) -> None:
    import_contract(sqlite_engine, example_path("aemo-renforcee"), actor="test")
    default = register_html(processing_record(sqlite_engine, "aemo-renforcee", settings=Settings()), lang)
    stated = register_html(processing_record(sqlite_engine, "aemo-renforcee", settings=Settings(**SAFE)), lang)
    not_stated = "non renseigné par l'hébergeur" if lang == "fr" else "not stated by the host"
    assert _section(default, "hosting").count(not_stated) == 3 and _section(default, "backups").count(not_stated) == 3
    assert not_stated not in _section(stated, "hosting") and "OVHcloud" in _section(stated, "hosting")
    assert ("toutes les 24 heure(s)" if lang == "fr" else "every 24 hour(s)") in _section(stated, "backups")
    levels = {"fr": ("Gravité : maximale", "Vraisemblance : maximale", "Gravité : importante", "Vraisemblance : limitée",
                     "Proposition — à confirmer par le DPO"),
              "en": ("Severity: maximum", "Likelihood: maximum", "Severity: significant", "Likelihood: limited",
                     "Proposal — to be confirmed by the DPO")}[lang]
    first = [_text(row) for row in re.findall(r'<tr class="risk">.*?</tr>', default, re.S)]
    safe = [_text(row) for row in re.findall(r'<tr class="risk">.*?</tr>', stated, re.S)]
    assert len(first) == len(safe) == 3 and all(levels[4] in r for r in first + safe)
    assert levels[0] in first[0] and levels[1] in first[0]
    assert levels[2] in safe[0] and levels[3] in safe[0]
    assert "…" not in "".join(re.findall(r'<p class="(?:severity|likelihood)">.*?</p>', default))  # no blank left
