"""k-anonymity: measured against a plain count of identical rows, enforced by bands then suppression, or refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from temoin.contract import load_contract
from temoin.errors import InvalidInputError
from temoin.i18n import Translator
from temoin.opendata.kanonymity import KAnonymityRefused, anonymise, check_k_anonymity
from temoin.opendata.research import build_extract

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"


def people(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "pseudonym": [f"hmac-{i:05d}" for i in range(n)],
        "age": rng.integers(0, 18, n),
        "age_band": rng.choice(["0-5", "6-11", "12-17"], n),
        "sex": rng.choice(["F", "M"], n),
        "territory": rng.choice(["lille", "roubaix-tourcoing", "dunkerque", "valenciennes"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "risk_level": rng.choice(["high", "very_high"], n),
        "arm": rng.choice(["programme", "control"], n),
        "placement_days__m12": rng.integers(0, 200, n),
    })


def smallest_class_by_hand(frame: pd.DataFrame, qis: list[str]) -> int:
    counts = Counter(tuple(row) for row in frame[qis].astype(str).itertuples(index=False))
    return min(counts.values())


def test_measure_matches_a_plain_count() -> None:
    df = people()
    qis = ["age", "sex", "territory"]
    report = check_k_anonymity(df, qis, k=5)
    assert report.smallest_class == smallest_class_by_hand(df, qis)
    assert report.n_classes == len({tuple(r) for r in df[qis].astype(str).itertuples(index=False)})
    assert not report.satisfied  # exact ages × sex × territory over 400 children leave small classes


def test_missing_values_form_their_own_class() -> None:
    df = pd.DataFrame({"sex": ["F"] * 5 + [None]})
    report = check_k_anonymity(df, ["sex"], k=5)
    assert (report.smallest_class, report.records_in_small_classes) == (1, 1)


def test_anonymise_generalises_age_then_reaches_k() -> None:
    df = people()
    qis = ["age", "sex", "territory"]
    out = anonymise(df, qis, k=5)
    assert out.after.satisfied
    assert smallest_class_by_hand(out.frame, qis) >= 5
    assert out.generalised["age"] in (5, 10, 20)
    assert set(out.frame["age"]) <= {"0-4", "5-9", "10-14", "15-19", "0-9", "10-19", "0-19"}
    assert len(out.frame) + out.suppressed_records == len(df)
    assert out.suppressed_records <= 0.05 * len(df)


def test_refuse_policy_refuses_instead_of_changing_the_data() -> None:
    with pytest.raises(KAnonymityRefused) as exc:
        anonymise(people(), ["age", "sex", "territory"], k=5, policy="refuse")
    assert "5-anonyme" in Translator("fr").error(exc.value) and "5-anonymous" in Translator("en").error(exc.value)


def test_too_much_suppression_is_refused() -> None:
    # 40 distinct categorical values, no hierarchy to generalise: every record is alone.
    df = pd.DataFrame({"postcode": [f"59{i:03d}" for i in range(40)]})
    with pytest.raises(KAnonymityRefused) as exc:
        anonymise(df, ["postcode"], k=5)
    assert exc.value.code == "kanonymity.too_much_suppression"


def test_a_few_outliers_are_suppressed_and_counted() -> None:
    df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 49 + ["X"]})
    out = anonymise(df, ["sex"], k=5)
    assert out.suppressed_records == 1 and out.action == "suppressed"
    assert "X" not in set(out.frame["sex"])


def test_unknown_quasi_identifier_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError) as exc:
        check_k_anonymity(people(), ["shoe_size"], k=5)
    assert "shoe_size" in exc.value.message()


def test_research_extract_uses_the_contract_quasi_identifiers_and_new_pseudonyms() -> None:
    contract = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    df = people()
    df["first_name"] = "Camille"  # a direct identifier that slipped in
    df["consent"] = [i % 40 != 0 for i in range(len(df))]  # 10 people did not consent
    df["enrolment_date"] = pd.Timestamp("2025-03-14") + pd.to_timedelta(np.arange(len(df)) % 60, unit="D")
    ex = build_extract(df, contract, k=5, rng=np.random.default_rng(1))
    # every released column is a quasi-identifier, but those the contract says no outsider could know
    # (risk level, arm, outcomes); age and the enrolment date are withheld by the contract
    assert ex.quasi_identifiers == ("age_band", "sex", "territory", "consent")
    assert set(ex.not_quasi_identifiers or {}) == {"risk_level", "arm", "placement_days__m12"}
    assert {"age", "enrolment_date"}.isdisjoint(ex.frame.columns) and set(ex.withheld) == {"age", "enrolment_date"}
    assert "first_name" not in ex.frame.columns and "pseudonym" not in ex.frame.columns
    assert ex.frame["research_id"].is_unique
    assert not set(ex.frame["research_id"]) & set(df["pseudonym"])
    assert smallest_class_by_hand(ex.frame, list(ex.quasi_identifiers)) >= 5
    # outcomes and arms are kept, so the extract is useful to researchers
    assert {"arm", "placement_days__m12", "risk_level"} <= set(ex.frame.columns)
    report = ex.report()
    assert report["dropped_columns"] == ["first_name"] and report["pseudonym_replaced"] == "pseudonym"
    assert report["left_out_without_consent"] == 10
    assert len(ex.frame) + ex.anonymised.suppressed_records == len(df) - 10
    # and it says what k the released columns have all together (the outcomes make most rows unique)
    released = [c for c in ex.frame.columns if c != "research_id"]
    assert report["k_on_all_columns"] == smallest_class_by_hand(ex.frame, released)


def test_every_released_column_is_a_quasi_identifier_unless_the_contract_says_why_not() -> None:
    """Issue 14, finding 7: k on the declared quasi-identifiers only left rows unique once the
    enrolment month or the number of siblings was added. Now those columns count."""
    from temoin.contract.model import ResearchRelease

    contract = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    df = people()[["pseudonym", "age_band", "sex", "territory"]].copy()
    rng = np.random.default_rng(3)
    df["enrolment_date"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, len(df)), unit="D")
    df["siblings"] = rng.integers(0, 8, len(df))
    # the contract releases both (it withholds neither): both are quasi-identifiers
    open_contract = contract.model_copy(update={"research_extract": ResearchRelease()})
    months_and_siblings = df[["age_band", "sex", "territory"]].assign(
        month=df["enrolment_date"].dt.strftime("%Y-%m"), siblings=df["siblings"])
    assert smallest_class_by_hand(months_and_siblings, list(months_and_siblings.columns)) < 5, "unique rows before"
    with pytest.raises(KAnonymityRefused):
        build_extract(df, open_contract, k=5)
    # withheld by the contract: the extract is k-anonymous on what it releases
    closed = contract.model_copy(update={"research_extract": ResearchRelease(withheld=["enrolment_date", "siblings"])})
    ex = build_extract(df, closed, k=5)
    assert ex.quasi_identifiers == ("age_band", "sex", "territory")
    assert ex.report()["k_on_all_columns"] >= 5
