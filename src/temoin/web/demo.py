"""``make demo``'s last step: one account per role, printed with its password, then the server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from temoin.services.accounts import demo_accounts

ROLE_LABELS = {"admin": ("administration", "admin"), "payer": ("payeur", "payer"),
               "operator": ("opérateur", "operator"), "investor": ("investisseur", "investor"),
               "evaluator": ("évaluateur", "evaluator"), "observer": ("observateur (société civile)", "observer")}


def print_accounts(engine: Engine, console: Any) -> list[Any]:
    from rich.table import Table

    accounts = demo_accounts(engine)
    table = Table(title="Comptes de démonstration / demo accounts")
    for col in ("identifiant / user", "mot de passe / password", "rôle / role", "contrat / contract"):
        table.add_column(col)
    for a in accounts:
        fr, en = ROLE_LABELS.get(a.role, (a.role, a.role))
        table.add_row(a.username, a.password, f"{fr} / {en}", a.contract_id or "*")
    console.print(table)
    return accounts


def serve_demo(engine: Engine, console: Any, *, port: int = 8000, host: str = "127.0.0.1") -> None:
    import uvicorn

    from temoin.web import create_app

    print_accounts(engine, console)
    console.print(f"Témoin : http://{host}:{port}  (Ctrl+C pour arrêter / to stop)")
    uvicorn.run(create_app(engine=engine), host=host, port=port, log_level="warning")
