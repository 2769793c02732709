"""``temoin serve`` (the web platform) and ``temoin user add`` / ``temoin user list`` (accounts)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from temoin.cli._common import console, engine, handle_errors, print_json, settings, t

user_app = typer.Typer(help="Comptes de la plateforme web / web platform accounts.", no_args_is_help=True)


@handle_errors
def serve(host: Annotated[str, typer.Option("--host", help="Adresse d'écoute / listen address.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
          workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                               help="Processus serveurs (un par cœur) / worker processes (one per core).")] = 1,
          ) -> None:
    """Servir la plateforme web / serve the web platform."""
    import uvicorn

    from temoin.web import create_app

    eng = engine()  # migrated once, before any worker starts
    console.print(t(f"Témoin sur http://{host}:{port} ({workers} processus)", f"Témoin at http://{host}:{port} ({workers} worker(s))"))
    if workers > 1:  # each worker builds the app from the same settings (TEMOIN_DATABASE_URL …)
        from temoin.web.serve import serve_workers

        eng.dispose()
        raise typer.Exit(serve_workers(host, port, workers))
    else:
        # proxy headers are read by the application, from the settings' trusted proxies only
        uvicorn.run(create_app(settings(), engine=eng), host=host, port=port, proxy_headers=False, log_level="warning")


@user_app.command("add")
@handle_errors
def user_add(
    username: str,
    person: Annotated[str | None, typer.Option("--person", help="Personne (rôles par contrat) / person (roles per contract).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Nom affiché / display name.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Administration de la plateforme / platform administrator.")] = False,
    language: Annotated[str, typer.Option("--language", help="fr ou/or en.")] = "fr",
    password: Annotated[str | None, typer.Option("--password", help="Sinon demandé / otherwise prompted.")] = None,
) -> None:
    """Créer un compte / create an account."""
    from temoin.services.accounts import create_account

    if password is None:
        password = typer.prompt(t("Mot de passe", "Password"), hide_input=True, confirmation_prompt=True)
    acct = create_account(engine(), username, password, actor=_actor(), display_name=name, person_id=person,
                          is_admin=admin, language=language)
    console.print(t(f"Compte créé : {acct.username}", f"Account created: {acct.username}"))


@user_app.command("disable")
@handle_errors
def user_disable(username: str) -> None:
    """Désactiver un compte (ses sessions et jetons d'API cessent) / disable an account (its sessions and API tokens end)."""
    from temoin.services.accounts import disable_account

    acct = disable_account(engine(), username, actor=_actor())
    console.print(t(f"Compte désactivé : {acct.username}", f"Account disabled: {acct.username}"))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


@user_app.command("list")
@handle_errors
def user_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Lister les comptes / list accounts."""
    from temoin.services.accounts import list_accounts

    rows = [{"username": a.username, "name": a.display_name, "person": a.person_id, "admin": a.is_admin,
             "disabled": a.disabled} for a in list_accounts(engine())]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        state = t("désactivé", "disabled") if r["disabled"] else ""
        console.print(f"{r['username']}\t{r['name']}\t{r['person'] or '-'}\t{'admin' if r['admin'] else ''}\t{state}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
