"""The demo's accounts (one per role of the child-protection example, an administrator, and an
investor of another contract) and the web platform served with them: ``make demo``'s last step."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from temoin.contract.model import Role
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.services.accounts import create_account, list_accounts, set_password
from temoin.services.contracts import import_contract
from temoin.services.governance import assign_role, list_roles
from temoin.services.passwords import problem as password_problem
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



@dataclass(frozen=True)
class DemoPerson:
    """Someone the demo gives an account to; with a contract, the role they hold in it for an organisation."""

    username: str
    label: str
    name: str
    contract_id: str | None = None
    person: str | None = None
    organisation: str | None = None
    role: Role | None = None


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("admin", "admin", "Administratrice de la plateforme"),
    DemoPerson("payeur", "payer", "Élise Payeur (Département du Nord)", "aemo-renforcee", "demo-payeur", "dept-nord",
               Role.OUTCOME_PAYER),
    DemoPerson("operateur", "operator", "Omar Opérateur (Horizon Familles)", "aemo-renforcee", "demo-operateur",
               "horizon-familles", Role.OPERATOR),
    DemoPerson("investisseur", "investor", "Inès Investisseuse (Banque Solidaire)", "aemo-renforcee", "demo-investisseur",
               "banque-solidaire", Role.INVESTOR),
    DemoPerson("evaluateur", "evaluator", "Ève Évaluatrice (laboratoire indépendant)", "aemo-renforcee", "demo-evaluateur",
               "labo-eval", Role.EVALUATOR),
    DemoPerson("observateur", "observer", "Odile Observatrice (Union régionale des associations)", "aemo-renforcee",
               "demo-observateur", "union-assos", Role.OBSERVER),
    DemoPerson("investisseur-autre", "investor", "Ivan Investisseur (autre contrat)", "cravate-solidaire",
               "demo-investisseur-autre", "investisseurs-emploi", Role.INVESTOR),
)


def demo_accounts(engine: Engine) -> list[DemoAccount]:
    """One account per role for aemo-renforcee, an admin, and an investor of cravate-solidaire.

    Idempotent: existing demo accounts get a fresh password, so the printed passwords always work.
    """
    for cid in ("aemo-renforcee", "cravate-solidaire", "relais-familial"):
        import_contract(engine, example_path(cid), actor="demo")
    existing = {a.username for a in list_accounts(engine)}
    out: list[DemoAccount] = []
    for p in DEMO_PEOPLE:
        if p.contract_id and p.person and p.organisation and p.role:
            held = {(str(r["contract"]), str(r["role"])) for r in list_roles(engine, person=p.person)}
            if (p.contract_id, p.role) not in held:
                assign_role(engine, p.contract_id, p.person, p.organisation, p.role, actor="demo", name=p.name)
        password = _fresh_password(p.username)
        if p.username in existing:
            set_password(engine, p.username, password, actor="demo")
        else:
            create_account(engine, p.username, password, actor="demo", display_name=p.name, person_id=p.person,
                           is_admin=p.label == "admin")
        out.append(DemoAccount(p.username, password, p.label, p.contract_id, p.person, (p.role,) if p.role else ()))
    return out


def _fresh_password(username: str) -> str:
    """A random password the platform's own rules accept (a random draw can, rarely, have too few
    distinct characters or hold a user name or a keyboard run)."""
    while True:
        password = secrets.token_urlsafe(9)
        if password_problem(password, username=username) is None:
            return password


def print_accounts(engine: Engine, console: Console, reader: Translator) -> list[DemoAccount]:
    t = reader
    accounts = demo_accounts(engine)
    table = Table(title=t("Demo accounts"))
    for col in (t("user"), t("password"), t("role"), t("contract")):
        table.add_column(col)
    for a in accounts:
        role = t("platform administrator") if a.role == "admin" else ", ".join(t.label(r) for r in a.roles)
        table.add_row(a.username, a.password, role, a.contract_id or t("every contract"))
    console.print(table)
    return accounts


def serve(engine: Engine, console: Console, settings: Settings, *, port: int = 8000, host: str = "127.0.0.1",
          reader: Translator | None = None) -> None:
    """Print the accounts, then serve the platform on the demo database until stopped."""
    import uvicorn

    from temoin.web import create_app

    t = reader or Translator(settings.language)
    print_accounts(engine, console, t)
    console.print(t("Témoin: http://{host}:{port} (Ctrl+C to stop)", host=host, port=str(port)))
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning")
