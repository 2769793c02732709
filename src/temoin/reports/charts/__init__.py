"""Charts drawn on the server as standalone, accessible SVG: shared by the reports and the web pages.

Every function takes plain data (numbers, mappings, or the domain records whose fields it reads)
plus ``lang`` ("fr" or "en") and returns an SVG string with a ``<title>``, a ``<desc>`` that states
the numbers in words, and text labels; all text is escaped. None of them touches a database.
"""

from temoin.reports.charts.evaluation import attrition_chart, impact_chart, love_plot, power_curve
from temoin.reports.charts.flow import consort
from temoin.reports.charts.money import (
    budget_watch,
    investor_flows,
    public_cost_chart,
    settlement_waterfall,
    waterfall,
)

__all__ = [
    "attrition_chart",
    "budget_watch",
    "consort",
    "impact_chart",
    "investor_flows",
    "love_plot",
    "power_curve",
    "public_cost_chart",
    "settlement_waterfall",
    "waterfall",
]
