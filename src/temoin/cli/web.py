"""``temoin serve`` (the web platform) and ``temoin user add`` / ``temoin user list`` (accounts)."""


import getpass

import typer

from temoin.cli._common import console, engine, handle_errors, print_json, settings, t
from temoin.cli._typer import TemoinTyper, tr


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def register(app: typer.Typer) -> None:
    @app.command("serve", help=tr("Serve the web platform."))
    @handle_errors
    def serve(host: str = typer.Option("127.0.0.1", "--host", help=tr("Listen address.")),
              port: int = typer.Option(8000, "--port", help=tr("Port to listen on.")),
              workers: int = typer.Option(1, "--workers", min=1, max=64, help=tr("Worker processes (one per core).")),
              ) -> None:
        import uvicorn

        from temoin.web import create_app

        eng = engine()  # migrated once, before any worker starts
        console.print(t("Témoin at http://{host}:{port} ({workers} worker(s))", host=host, port=str(port), workers=workers))
        if workers > 1:  # each worker builds the app from the same settings (TEMOIN_DATABASE_URL …)
            from temoin.web.serve import serve_workers

            eng.dispose()
            raise typer.Exit(serve_workers(host, port, workers))
        # proxy headers are read by the application, from the settings' trusted proxies only
        uvicorn.run(create_app(settings(), engine=eng), host=host, port=port, proxy_headers=False, log_level="warning")

    user_app = TemoinTyper(help=tr("Web platform accounts."), no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @user_app.command("add", help=tr("Create an account."))
    @handle_errors
    def user_add(
        username: str,
        person: str | None = typer.Option(None, "--person", help=tr("Person (roles per contract).")),
        name: str | None = typer.Option(None, "--name", help=tr("Display name.")),
        admin: bool = typer.Option(False, "--admin", help=tr("Platform administrator.")),
        language: str = typer.Option("fr", "--language", help=tr("Language of the account: fr or en.")),
        password: str | None = typer.Option(None, "--password", help=tr("Otherwise prompted.")),
    ) -> None:
        from temoin.services.accounts import create_account

        if password is None:
            password = typer.prompt(t("Password"), hide_input=True, confirmation_prompt=True)
        acct = create_account(engine(), username, password, actor=_actor(), display_name=name, person_id=person,
                              is_admin=admin, language=language)
        console.print(t("Account created: {username}", username=acct.username))

    @user_app.command("disable", help=tr("Disable an account (its sessions and API tokens end)."))
    @handle_errors
    def user_disable(username: str) -> None:
        from temoin.services.accounts import disable_account

        acct = disable_account(engine(), username, actor=_actor())
        console.print(t("Account disabled: {username}", username=acct.username))

    @user_app.command("list", help=tr("List accounts."))
    @handle_errors
    def user_list(as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.services.accounts import list_accounts

        rows = [{"username": a.username, "name": a.display_name, "person": a.person_id, "admin": a.is_admin,
                 "disabled": a.disabled} for a in list_accounts(engine())]
        if as_json:
            print_json(rows)
            return
        for r in rows:
            state = t("disabled") if r["disabled"] else ""
            admin_word = t("administrator") if r["admin"] else ""
            console.print(f"{r['username']}\t{r['name']}\t{r['person'] or '-'}\t{admin_word}\t{state}")
