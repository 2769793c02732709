"""The demo's accounts (one per role of the child-protection example, an administrator, and an
investor of another contract) and the web platform served with them: ``make demo``'s last step."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from temoin.examples import example_path
from temoin.services.accounts import create_account, list_accounts, set_password
from temoin.services.contracts import import_contract
from temoin.services.governance import assign_role, list_roles
from temoin.settings import Settings


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and the password printed for it."""

    username: str
    password: str
    role: str
    contract_id: str | None
    person_id: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)


ROLE_LABELS = {"admin": ("administration", "admin"), "payer": ("payeur", "payer"),
               "operator": ("opérateur", "operator"), "investor": ("investisseur", "investor"),
               "evaluator": ("évaluateur", "evaluator"), "observer": ("observateur (société civile)", "observer")}

# (user name, role label, contract, person, organisation, governance role, display name)
DEMO_PEOPLE: tuple[tuple[str, str, str | None, str | None, str | None, str | None, str], ...] = (
    ("admin", "admin", None, None, None, None, "Administratrice de la plateforme"),
    ("payeur", "payer", "aemo-renforcee", "demo-payeur", "dept-nord", "outcome_payer", "Élise Payeur (Département du Nord)"),
    ("operateur", "operator", "aemo-renforcee", "demo-operateur", "horizon-familles", "operator",
     "Omar Opérateur (Horizon Familles)"),
    ("investisseur", "investor", "aemo-renforcee", "demo-investisseur", "banque-solidaire", "investor",
     "Inès Investisseuse (Banque Solidaire)"),
    ("evaluateur", "evaluator", "aemo-renforcee", "demo-evaluateur", "labo-eval", "evaluator",
     "Ève Évaluatrice (laboratoire indépendant)"),
    ("observateur", "observer", "aemo-renforcee", "demo-observateur", "union-assos", "civil_society_observer",
     "Odile Observatrice (Union régionale des associations)"),
    ("investisseur-autre", "investor", "cravate-solidaire", "demo-investisseur-autre", "investisseurs-emploi",
     "investor", "Ivan Investisseur (autre contrat)"),
)


def demo_accounts(engine: Engine) -> list[DemoAccount]:
    """One account per role for aemo-renforcee, an admin, and an investor of cravate-solidaire.

    Idempotent: existing demo accounts get a fresh password, so the printed passwords always work.
    """
    for cid in ("aemo-renforcee", "cravate-solidaire", "relais-familial"):
        import_contract(engine, example_path(cid), actor="demo")
    existing = {a.username for a in list_accounts(engine)}
    out: list[DemoAccount] = []
    for username, label, contract_id, person, org, role, name in DEMO_PEOPLE:
        if contract_id and person and org and role:
            held = {(str(r["contract"]), str(r["role"])) for r in list_roles(engine, person=person)}
            if (contract_id, role) not in held:
                assign_role(engine, contract_id, person, org, role, actor="demo", name=name)
        password = secrets.token_urlsafe(9)
        if username in existing:
            set_password(engine, username, password, actor="demo")
        else:
            create_account(engine, username, password, actor="demo", display_name=name, person_id=person,
                           is_admin=label == "admin")
        out.append(DemoAccount(username, password, label, contract_id, person, (role,) if role else ()))
    return out


def print_accounts(engine: Engine, console: Console) -> list[DemoAccount]:
    accounts = demo_accounts(engine)
    table = Table(title="Comptes de démonstration / demo accounts")
    for col in ("identifiant / user", "mot de passe / password", "rôle / role", "contrat / contract"):
        table.add_column(col)
    for a in accounts:
        fr, en = ROLE_LABELS.get(a.role, (a.role, a.role))
        table.add_row(a.username, a.password, f"{fr} / {en}", a.contract_id or "*")
    console.print(table)
    return accounts


def serve(engine: Engine, console: Console, settings: Settings, *, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Print the accounts, then serve the platform on the demo database until stopped."""
    import uvicorn

    from temoin.web import create_app

    print_accounts(engine, console)
    console.print(f"Témoin : http://{host}:{port}  (Ctrl+C pour arrêter / to stop)")
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning")
