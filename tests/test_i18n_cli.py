"""The command line speaks the reader's language (issue 15): the language is decided before the
commands are built (``--lang``, else ``TEMOIN_LANGUAGE``, else French); every command's help, Typer's
own words, usage errors, outputs and errors come from the catalogue; numbers in the reader's format;
no raw code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer
from babel.numbers import format_decimal
from typer.testing import CliRunner

from temoin.cli import build_app
from temoin.cli._common import cli_errors, start_invocation
from temoin.cli._lang import choose_language, compiled_catalogue
from temoin.errors import InvalidInputError
from temoin.evaluation.power import power
from temoin.i18n import Translator
from temoin.messages import Msg

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"

# Words that give away the other language (whole words; command and option names are left aside,
# they are what the reader types).
ENGLISH = ("the", "and", "of", "with", "Usage", "Show this message", "Commands", "required", "default", "Error",
           "Who", "Write", "file", "Missing", "Invalid value", "Try")
FRENCH = ("le", "la", "les", "des", "du", "et", "ou", "Utilisation", "Afficher", "Commandes", "obligatoire",
          "défaut", "Erreur", "fichier", "Aide")
# a raw code: lower-case words joined by underscores; values the reader types are named in the help with
# what they mean, and allowed here
RAW_CODE = re.compile(r"(?<![\w\-./=])[a-z]+(?:_[a-z0-9]+)+(?![\w\-])")
TYPED_VALUES = {"diff_in_means", "evaluator_certification", "payer_approval", "observer_acknowledgement"}
ENGLISH_NUMBER = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")  # 0.05, not an address such as 127.0.0.1


def _words_in(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


def _command_paths() -> list[list[str]]:
    """Every command and group of the command line, as the words typed to reach it."""
    root = typer.main.get_command(build_app("en"))
    out: list[list[str]] = [[]]

    def walk(cmd: object, path: list[str]) -> None:
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            out.append([*path, name])
            walk(sub, [*path, name])

    walk(root, [])
    return out


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "temoin.cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh cache (the catalogue compiled anew), no language chosen, 100 columns."""
    cache = tmp_path_factory.mktemp("cache")
    keep = {k: v for k, v in os.environ.items() if not k.startswith("TEMOIN_") and k not in ("LANGUAGE", "LANG", "LC_ALL")}
    return {**keep, "XDG_CACHE_HOME": str(cache), "COLUMNS": "100", "PYTHONPATH": str(REPO / "src"),
            "TEMOIN_DATABASE_URL": f"sqlite:///{cache / 'unused.db'}"}


# One process per language (Typer reads its own words once per process, as ``temoin`` does): each
# command's ``--help`` through ``temoin.cli.main``, as the ``temoin`` entry point runs it.
HELPS = """
import contextlib, io, json, sys
from temoin.cli import main
out = {}
for path in json.loads(sys.argv[2]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        main((["--lang", "en"] if sys.argv[1] == "en" else []) + path + ["--help"])
    out[" ".join(path)] = buf.getvalue()
sys.stdout.write(json.dumps(out))
"""


@pytest.fixture(scope="module")
def helps(env: dict[str, str]) -> dict[tuple[str, str], str]:
    """``--help`` of every command and group, in French (the default) and in English (``--lang en``)."""
    paths = json.dumps(_command_paths())

    def one(lang: str) -> dict[tuple[str, str], str]:
        res = subprocess.run([sys.executable, "-c", HELPS, lang, paths], capture_output=True, text=True, env=env,
                             cwd=REPO, timeout=300)
        assert res.returncode == 0, res.stderr
        return {(lang, k): v for k, v in json.loads(res.stdout).items()}

    with ThreadPoolExecutor(max_workers=2) as pool:
        fr, en = pool.map(one, ("fr", "en"))
    return {**fr, **en}


def test_every_help_is_in_one_language_without_raw_codes(helps: dict[tuple[str, str], str]) -> None:
    assert len(helps) >= 2 * 40, "every command and sub-command, in both languages"
    for (lang, command), text in helps.items():
        flat = " ".join(text.replace("│", " ").split())
        foreign = _words_in(flat, ENGLISH if lang == "fr" else FRENCH)
        assert not foreign, f"temoin {command} --help ({lang}): {foreign} in\n{text}"
        codes = set(RAW_CODE.findall(flat)) - TYPED_VALUES
        assert not codes, f"temoin {command} --help ({lang}): raw codes {codes}\n{text}"
        if lang == "fr":
            assert not ENGLISH_NUMBER.findall(flat), f"temoin {command} --help: an English number\n{text}"


def test_help_words_in_each_language(helps: dict[tuple[str, str], str]) -> None:
    fr, en = (" ".join(helps[(lang, "contract check")].replace("│", " ").split()) for lang in ("fr", "en"))
    assert "Utilisation : temoin contract check [OPTIONS] {FICHIER}" in fr
    assert "Usage: temoin contract check [OPTIONS] {FILE}" in en
    assert "--json Constats en liste JSON." in fr and "--json Findings as a JSON list." in en
    assert "--help Afficher cette aide et quitter." in fr and "--help Show this message and exit." in en
    assert "[obligatoire]" in fr and "[required]" in en
    root_fr = " ".join(helps[("fr", "")].replace("│", " ").split())
    assert "Témoin : contrats à impact social avec garde-fous." in root_fr and "─ Commandes ─" in root_fr
    evaluate_fr = " ".join(helps[("fr", "evaluate")].replace("│", " ").split())
    assert "[défaut : (0,05)]" in evaluate_fr and "<nombre>" in evaluate_fr


def test_the_language_comes_from_lang_then_the_environment_then_french(env: dict[str, str]) -> None:
    assert choose_language(["--lang", "en", "power"], {}) == "en"
    assert choose_language(["--lang=en", "power"], {"TEMOIN_LANGUAGE": "fr"}) == "en"
    assert choose_language(["power", "--lang", "en"], {}) == "fr"  # after the command: not the root option
    assert choose_language([], {"TEMOIN_LANGUAGE": "en"}) == "en" and choose_language([], {}) == "fr"
    english = _run(["--help"], {**env, "TEMOIN_LANGUAGE": "en"}).stdout
    assert "Usage: temoin" in english and "Témoin: social impact contracts with safeguards." in english
    french = _run(["--lang", "fr", "--help"], {**env, "TEMOIN_LANGUAGE": "en"}).stdout
    assert "Utilisation : temoin" in french


def test_usage_errors_in_each_language(env: dict[str, str]) -> None:
    cases = [
        (["power", "--n", "x"], "Valeur invalide pour '--n' : un nombre entier est attendu.",
         "Invalid value for '--n': a whole number is expected."),
        (["contract", "check"], "Argument manquant : 'FICHIER'.", "Missing argument 'FILE'."),
        (["contract", "check", "--foo"], "Option inconnue : --foo.", "No such option: --foo."),
        (["contract", "chek"], "Commande inconnue : 'chek'. Vouliez-vous dire 'check', 'schema' ?",
         "No such command 'chek'. Did you mean 'check', 'schema'?"),
    ]
    for args, french, english in cases:
        fr = _run(args, env)
        en = _run(["--lang", "en", *args], env)
        assert fr.returncode == en.returncode == 2
        fr_text, en_text = (" ".join(r.stderr.replace("│", " ").split()) for r in (fr, en))
        assert french in fr_text and "─ Erreur ─" in fr_text and "Aide : « temoin" in fr_text, fr.stderr
        assert english in en_text and "─ Error ─" in en_text and "Try 'temoin" in en_text, en.stderr
        assert not _words_in(fr_text, ENGLISH), fr.stderr
    refused = _run(["--lang", "de", "power", "--n", "400"], env)
    assert "'de' n'est pas une langue connue : choisissez fr ou en." in " ".join(refused.stderr.split())


def test_outputs_word_for_word_in_each_language() -> None:
    runner = CliRunner()
    app = build_app("fr")
    p = power(effect=0.2, sd=1, n=400, alpha=0.05, sidedness="two_sided", attrition=0.0, icc=0.0, cluster_size=1.0)
    for lang, locale, line in (
        ("fr", "fr_FR", "Puissance pour un effet de 0,2 avec 400 personnes : {p}"),
        ("en", "en_GB", "Power for an effect of 0.2 with 400 people: {p}"),
    ):
        res = runner.invoke(app, ["--lang", lang, "power", "--n", "400", "--effect", "0.2", "--sd", "1"])
        assert res.exit_code == 0, res.output
        number = format_decimal(p * 100, format="0.0", locale=locale)  # a share: "84,1 %" / "84.1%"
        shown = number + ("\u00a0%" if lang == "fr" else "%")
        assert res.output.splitlines()[0] == line.format(p=shown)
    check = {lang: runner.invoke(app, ["--lang", lang, "contract", "check", str(EXAMPLE)]).output.splitlines()
             for lang in ("fr", "en")}
    assert check["fr"][1] == "  ✓ S01 Contrefactuel" and check["fr"][-1] == "  Erreurs : 0 ; avertissements : 0."
    assert check["en"][1] == "  ✓ S01 Counterfactual" and check["en"][-1] == "  Errors: 0; warnings: 0."


def test_errors_in_each_language_and_without_a_contract() -> None:
    runner = CliRunner()
    app = build_app("fr")
    fr = runner.invoke(app, ["power", "--n", "400"])
    en = runner.invoke(app, ["--lang", "en", "power", "--n", "400"])
    assert fr.exit_code == en.exit_code == 1
    assert " ".join(fr.output.split()) == ("Erreur Sans contrat, donnez --n, --effect et --sd. "
                                           "Exemple : temoin power --n 400 --effect 0.2 --sd 1 [cli.power_options]")
    assert " ".join(en.output.split()) == ("Error Without a contract, give --n, --effect and --sd. "
                                           "Example: temoin power --n 400 --effect 0.2 --sd 1 [cli.power_options]")


def test_an_error_is_said_in_the_readers_language(capsys: pytest.CaptureFixture[str]) -> None:
    for lang, expected in (("fr", "Erreur Vague inconnue : « m36 ». [x.wave]"), ("en", "Error Unknown wave: 'm36'. [x.wave]")):
        start_invocation(lang)
        with pytest.raises(typer.Exit), cli_errors():
            raise InvalidInputError("x.wave", Msg("Unknown wave: '{wave}'.", wave="m36"))
        assert " ".join(capsys.readouterr().err.split()) == expected
    start_invocation(None)


def test_labels_not_codes_in_listings(cli_env: object) -> None:
    runner = CliRunner()
    app = build_app("fr")
    assert runner.invoke(app, ["contract", "import", str(EXAMPLE)]).exit_code == 0
    for lang, design in (("fr", Translator("fr").label("design", "stratified_rct")),
                         ("en", Translator("en").label("design", "stratified_rct"))):
        out = runner.invoke(app, ["--lang", lang, "contract", "list"]).output
        assert design in out and "stratified_rct" not in out


def test_the_compiled_catalogue_follows_the_po_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled once per content of ``cli.po``: the same file gives the same folder, read by gettext alone."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = compiled_catalogue("fr")
    assert folder.parent == tmp_path / "temoin" and (folder / "fr" / "LC_MESSAGES" / "temoin_cli.mo").is_file()
    assert compiled_catalogue("fr") == folder
    import gettext

    words = gettext.translation("temoin_cli", localedir=str(folder), languages=["fr"])
    assert words.gettext("Show this message and exit.") == "Afficher cette aide et quitter."


def test_the_parsed_catalogue_kept_in_the_cache_is_the_po_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue read back from the cache is what Babel reads from the ``.po`` files."""
    from babel.messages.pofile import read_po

    from temoin.i18n import LOCALES, catalogue

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parsed: dict[str, str] = {}
    for path in sorted((LOCALES / "fr" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            parsed.update({str(m.id): str(m.string) for m in read_po(fh, locale="fr") if m.id and m.string})
    first = catalogue.__wrapped__("fr")  # parses, then keeps it
    kept = list((tmp_path / "temoin").glob("catalogue-fr-*.json"))
    assert len(kept) == 1 and first == parsed
    kept[0].write_text(json.dumps({**parsed, "Error": "read from the cache"}), encoding="utf-8")
    assert catalogue.__wrapped__("fr")["Error"] == "read from the cache"  # the second reading is the cache's
