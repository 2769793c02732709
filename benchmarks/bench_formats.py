"""Number formats benchmark: the reader's numbers (``temoin.i18n.Translator``) with the number
patterns parsed once, against the same calls with each pattern given to Babel as text (parsed on
every call, as before), measured in the same run, round after round.

* 5,000 formatted values through the chart helpers (``num``, ``money``, ``pct``, and points);
* the five SVG charts of ``bench_reports`` (love plot of many attributes, investor flows,
  waterfall, CONSORT flow, public cost).

Both sides print the same text (checked here before timing).

Run: ``python -m benchmarks formats`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks._timing import best_of_each


@contextmanager
def _patterns_as_text() -> Iterator[None]:
    """Babel given each pattern as text, parsed on every call (the code before the cache)."""
    import temoin.i18n as i18n

    saved = i18n._pattern, i18n._percent_pattern

    def as_text(text: str) -> Any:
        return text

    def percent_as_text(locale: str, decimals: int) -> Any:
        from babel import Locale

        text = Locale.parse(locale).percent_formats[None].pattern
        return text.replace("#,##0", "#,##0." + "0" * decimals if decimals else "#,##0")

    i18n._pattern, i18n._percent_pattern = as_text, percent_as_text  # type: ignore[assignment]
    try:
        yield
    finally:
        i18n._pattern, i18n._percent_pattern = saved


def _helpers(n: int) -> Callable[[], list[str]]:
    from temoin.i18n import Translator
    from temoin.reports.charts._svg import money, num, pct

    fr, en = Translator("fr"), Translator("en")

    def run() -> list[str]:
        out = []
        for i in range(n):
            out += [num(fr, i * 1.37, 1), money(fr, Decimal(i) * 1234, "EUR"), pct(fr, i / n), num(en, i * 1.37, 1),
                    en.points(i / (3 * n))]
        return out
    return run


def _charts(folder: Path, n_attributes: int) -> Callable[[], list[str]]:
    from benchmarks.bench_reports import CONTRACT, _populated_engine
    from benchmarks.bench_reports import _charts as draw
    from temoin.services.contracts import get_contract
    from temoin.services.evaluations import latest_results
    from temoin.settlement import settle
    from temoin.store import session_scope

    eng = _populated_engine(folder)
    stored = get_contract(eng, CONTRACT)
    with session_scope(eng) as s:
        results = latest_results(s, CONTRACT)
    settlement = settle(stored.contract, results, contract_version=stored.version)
    eng.dispose()
    return lambda: draw(settlement, n_attributes)


def main(quick: bool = False) -> None:
    n = 200 if quick else 1000
    repeat = 3 if quick else 15
    helpers = _helpers(n)
    now = helpers()
    with _patterns_as_text():
        before = helpers()
    assert now == before, "the cached patterns print the same text"

    def before_run() -> None:
        with _patterns_as_text():
            helpers()

    rows = [(f"{5 * n} numbers through the chart helpers", best_of_each({"cached": helpers, "as text": before_run},
                                                                         repeat))]
    n_attr = 40 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        charts = _charts(Path(tmp), n_attr)
    drawn = charts()
    with _patterns_as_text():
        assert charts() == drawn, "the cached patterns draw the same charts"

    def charts_before() -> None:
        with _patterns_as_text():
            charts()

    rows.append((f"5 charts drawn (love plot of {n_attr} attributes)",
                 best_of_each({"cached": charts, "as text": charts_before}, repeat)))
    print(f"{'measure':<58} {'cached':>9} {'as text':>9} {'ratio':>7}")
    for name, best in rows:
        print(f"{name:<58} {best['cached'] * 1000:>7.1f}ms {best['as text'] * 1000:>7.1f}ms "
              f"{best['as text'] / best['cached']:>6.2f}x")


if __name__ == "__main__":
    main()
