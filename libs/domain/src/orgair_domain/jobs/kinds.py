"""What a job does. Every kind shares the job row, its life cycle (`states`), its
progress events and the `/jobs/{id}` endpoints; what it works on differs:

- `fund_scoring`: a fund's members (`fund_id`, with the parameter profile it scores
  with); counts are companies.
- `justifications`: an assessment's dimension scores (`assessment_id`); counts are
  dimensions, `scored` the ones justified.
- `ic_memo`: a company's investment-committee memo (`company_id`); one item, the memo,
  whose id becomes the job's `result_id`.
"""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    FUND_SCORING = "fund_scoring"
    JUSTIFICATIONS = "justifications"
    IC_MEMO = "ic_memo"
