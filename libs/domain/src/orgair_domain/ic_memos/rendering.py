"""The memo as Markdown: the facts (scores, intervals, trend, justifications, the approved
value-creation plan) rendered by code, the narrative placed around them.

Text that did not come from the platform itself (the model's narrative and
justifications, the company's name, evidence titles) is escaped, so it shows as text
and cannot become a link, an image or HTML in whatever renders the memo.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from orgair_domain.ic_memos.facts import DimensionFact, MemoFacts
from orgair_domain.ic_memos.narrative import MemoNarrative
from orgair_domain.justifications.prompts import DIMENSION_NAMES

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#!|<>~])")
# What starts a list item only at the beginning of a line.
_LIST_MARK = re.compile(r"(?m)^(\s*)([-+])")
_NUMBERED = re.compile(r"(?m)^(\s*\d+)\.")
_HISTORY_ROWS = 10


def escape(text: str) -> str:
    """`text` as literal Markdown text (specials backslash-escaped, lines kept)."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text.strip())
    return _NUMBERED.sub(r"\1\\.", _LIST_MARK.sub(r"\1\\\2", escaped))


def _cell(text: str) -> str:
    return escape(" ".join(text.split()))


def _interval(bounds: Sequence[float]) -> str:
    return f"{bounds[0]:.1f} to {bounds[1]:.1f}"


def _scores(facts: MemoFacts) -> list[str]:
    score = facts.score
    ci = score.breakdown.get("ci", {})
    rows = [
        ("Org-AI-R", score.org_air, score.org_air_ci),
        ("V^R (idiosyncratic readiness)", score.vr, ci.get("vr")),
        ("H^R (systematic opportunity)", score.hr, ci.get("hr")),
        ("Synergy", score.synergy, ci.get("synergy")),
    ]
    status = (
        f"approved {score.approved_at:%Y-%m-%d}"
        if facts.score_is_approved and score.approved_at
        else f"**not yet approved** ({score.review_status.value})"
    )
    lines = [
        "## Org-AI-R",
        "",
        "| score | value | 95% interval |",
        "|---|---:|---:|",
        *(
            f"| {_cell(name)} | {value:.1f} | {_interval(bounds) if bounds else 'n/a'} |"
            for name, value, bounds in rows
        ),
        "",
        f"Computed {score.created_at:%Y-%m-%d} with parameter profile "
        f"`{score.parameters_version}` (hash `{score.parameters_hash[:12]}`); {status}.",
    ]
    history = facts.approved_history
    if history:
        trend = facts.trend or "n/a"
        lines += [
            "",
            f"Trend: **{trend}** — first approved {history[0].org_air:.1f}, latest approved "
            f"{history[-1].org_air:.1f} ({len(history)} approved score"
            f"{'s' if len(history) != 1 else ''}).",
            "",
            "| approved | Org-AI-R | 95% interval |",
            "|---|---:|---:|",
            *(
                f"| {item.approved_at:%Y-%m-%d} | {item.org_air:.1f} | "
                f"{_interval(item.org_air_ci)} |"
                for item in history[-_HISTORY_ROWS:]
                if item.approved_at is not None
            ),
        ]
    return lines


def _status(item: DimensionFact) -> str:
    if item.justification is None:
        return "not justified yet"
    return item.justification.status.value.replace("_", " ")


def _dimensions(facts: MemoFacts) -> list[str]:
    lines = ["## Dimensions", "", "| dimension | score | justification |", "|---|---:|---|"]
    lines += [
        f"| {_cell(DIMENSION_NAMES[item.dimension].split(':')[0])} | {item.score:.1f} | "
        f"{_status(item)} |"
        for item in facts.dimensions
    ]
    for item in facts.dimensions:
        justification = item.justification
        if justification is None or not justification.text:
            continue
        lines += [
            "",
            f"### {_cell(DIMENSION_NAMES[item.dimension].split(':')[0])} — {item.score:.1f}",
            "",
            escape(justification.text),
            "",
            "Sources:",
            *(
                f"- {escape('[' + c.label + ']')} {escape(c.title)}"
                f"{' (' + escape(c.source) + ')' if c.source else ''}, {c.evidence_date}"
                for c in justification.citations
            ),
        ]
    return lines


def _plan(facts: MemoFacts) -> list[str]:
    plan = facts.plan
    if plan is None:
        return []
    ebitda = plan.ebitda
    outcome = (
        f"reaches the target ({plan.projected_org_air:.1f})"
        if plan.reachable
        else f"**does not reach the target**: {plan.projected_org_air:.1f} at best"
    )
    approved = f" (approved {plan.approved_at:%Y-%m-%d})" if plan.approved_at else ""
    lines = [
        "## Value-creation plan",
        "",
        f"From Org-AI-R {plan.entry_org_air:.1f} to a target of {plan.target_org_air:.1f}: "
        f"the plan {outcome}, for an investment of ${plan.investment_usd:,.0f}"
        f"{approved}.",
        "",
        "| EBITDA impact (pp) | conservative | base | optimistic | risk-adjusted |",
        "|---|---:|---:|---:|---:|",
        f"| {ebitda.delta:.1f} points of Org-AI-R | {ebitda.conservative:.2f} | "
        f"{ebitda.base:.2f} | {ebitda.optimistic:.2f} | {ebitda.risk_adjusted:.2f} |",
        "",
        "| dimension | current | target | gap | priority | investment |",
        "|---|---:|---:|---:|---|---:|",
    ]
    lines += [
        f"| {_cell(DIMENSION_NAMES[name].split(':')[0])} | {item.current:.1f} | "
        f"{item.target:.1f} | {item.gap:.1f} | {item.priority} | ${item.investment_usd:,.0f} |"
        for name, item in plan.dimensions.items()
        if item.gap > 0
    ]
    return [*lines, ""]


def _bullets(points: Sequence[str]) -> list[str]:
    return [f"- {_cell(point)}" for point in points]


def render_memo(
    facts: MemoFacts, narrative: MemoNarrative, *, drafted_at: datetime, model: str
) -> str:
    title = escape(facts.company_name) + (f" \\({escape(facts.ticker)}\\)" if facts.ticker else "")
    lines = [
        f"# Investment committee memo: {title}",
        "",
        f"{escape(facts.industry)} · drafted {drafted_at:%Y-%m-%d %H:%M} UTC by the Org-AI-R "
        f"platform. The numbers are the platform's records; the narrative was drafted by "
        f"`{model}` and needs a reader's review.",
        "",
        "## Summary",
        "",
        escape(narrative.summary),
        "",
        *_scores(facts),
        "",
        *_dimensions(facts),
        "",
        *_plan(facts),
        "## Strengths",
        "",
        *_bullets(narrative.strengths),
        "",
        "## Risks",
        "",
        *_bullets(narrative.risks),
        "",
        "## Recommendation",
        "",
        escape(narrative.recommendation),
        "",
    ]
    return "\n".join(lines)
