"""Governance rules (pure): roles per contract, calls for projects with conflicts of interest and
recusal, the public record of a decided call, the budget watch, and the audit ledger's hash chain."""

from temoin.governance.budget import (
    BudgetFileError,
    BudgetRow,
    BudgetWatch,
    Flag,
    budget_watch,
    contract_commitments,
    parse_budget_csv,
)
from temoin.governance.calls_io import committee_from_contract, parse_call
from temoin.governance.decision import aggregate_scores, decide, results
from temoin.governance.record import progress, public_record
from temoin.governance.roles import ROLES, RoleAssignment, check_assignment
from temoin.governance.selection import (
    Application,
    Call,
    CallState,
    CommitteeMember,
    Criterion,
    Decision,
    Declaration,
    Recusal,
    Score,
    add_application,
    add_declaration,
    add_score,
    validate_call,
)

__all__ = [
    "ROLES",
    "Application",
    "BudgetFileError",
    "BudgetRow",
    "BudgetWatch",
    "Call",
    "CallState",
    "CommitteeMember",
    "Criterion",
    "Decision",
    "Declaration",
    "Flag",
    "Recusal",
    "RoleAssignment",
    "Score",
    "add_application",
    "add_declaration",
    "add_score",
    "aggregate_scores",
    "budget_watch",
    "check_assignment",
    "committee_from_contract",
    "contract_commitments",
    "decide",
    "parse_budget_csv",
    "parse_call",
    "progress",
    "public_record",
    "results",
    "validate_call",
]
