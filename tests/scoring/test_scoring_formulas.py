"""DESIGN.md §5 worked by hand: each expected number below is derived in the comments
from the formulas and the profile constants, not taken from the engine."""

from __future__ import annotations

from typing import Any

import pytest

from orgair_scoring import (
    DIMENSIONS,
    CompanyInputs,
    builtin_profile,
    derive_profile,
    score_company,
)
from orgair_scoring.engine import (
    hr_score,
    org_air_score,
    position_factor,
    reliability,
    synergy_score,
    vr_score,
    weighted_mean_and_cv,
)
from orgair_scoring.parameters import interval_z

V2 = builtin_profile("v2.0")
V1 = builtin_profile("v1.0")
Z95 = 1.959963984540054  # Phi^-1(0.975)


def company(**overrides: Any) -> CompanyInputs:
    data: dict[str, Any] = {
        "id": "acme",
        "sector": "technology",
        "dimensions": dict.fromkeys(DIMENSIONS, 50.0),
        "talent_concentration": 0.25,
        "market_cap_percentile": 0.5,
        "evidence_count": 1,
    }
    data.update(overrides)
    return CompanyInputs.model_validate(data)


def test_h_r_base_60_with_pf_0_8_gives_67_20() -> None:
    # H^R = 60 · (1 + 0.15 · 0.8) = 60 · 1.12 = 67.20
    assert hr_score(60, 0.8, delta_position=0.15) == pytest.approx(67.20, abs=1e-12)


def test_pf_0_8_and_h_r_base_60_through_a_whole_company() -> None:
    # All dimensions 100 → M = 100, cv = 0; TC 0.25 is not above the threshold → V^R = 100.
    # Manufacturing avg V^R 45: (100 - 45)/50 = 1.1, clamped to 1 → 0.6 · 1 = 0.6.
    # mcap 0.75: 0.4 · (0.75 - 0.5) · 2 = 0.2. PF = 0.8. H^R = 60 · 1.12 = 67.20.
    result = score_company(
        company(
            sector="manufacturing",
            dimensions=dict.fromkeys(DIMENSIONS, 100.0),
            market_cap_percentile=0.75,
            h_r_base=60,
        ),
        V2,
    )
    assert result.vr == 100
    assert result.position_factor == pytest.approx(0.8, abs=1e-12)
    assert result.hr == pytest.approx(67.20, abs=1e-12)


def test_timing_1_5_is_clamped_to_1_2() -> None:
    # All 50 → V^R 50; technology avg 65: gap -0.3 → PF = 0.6 · -0.3 = -0.18;
    # H^R = 85 · (1 - 0.15 · 0.18) = 82.705; alignment = 1 - 32.705/100 = 0.67295;
    # synergy = 50 · 82.705/100 · 0.67295 · 1.2 = 33.39607...
    result = score_company(company(timing_factor=1.5), V2)
    assert result.timing_factor == 1.2
    assert result.hr == pytest.approx(82.705, abs=1e-9)
    assert result.alignment == pytest.approx(0.67295, abs=1e-12)
    assert result.synergy == pytest.approx(50 * 0.82705 * 0.67295 * 1.2, abs=1e-9)


def test_timing_below_the_bounds_is_clamped_to_0_8() -> None:
    assert score_company(company(timing_factor=0.5), V2).timing_factor == 0.8


def test_timing_defaults_to_the_sectors_profile_value() -> None:
    params = derive_profile(V2, {"sectors": {"technology": {"timing": 1.1}}})
    assert score_company(company(), params).timing_factor == 1.1
    assert score_company(company(sector="retail"), params).timing_factor == 1.0


def test_spearman_brown_n5_r07_gives_0_9211() -> None:
    # rho = 5 · 0.7 / (1 + 4 · 0.7) = 3.5 / 3.8 = 0.921052...
    rho = reliability(5, item_reliability=0.7, max_reliability=0.99)
    assert rho == pytest.approx(0.9211, abs=5e-5)
    assert rho == pytest.approx(3.5 / 3.8, abs=1e-15)


def test_spearman_brown_n5_r07_sets_the_interval_width() -> None:
    # 1 - rho = 0.3/3.8 = 0.078947; SEM(Org-AI-R) = 14 · sqrt(0.078947) = 3.933660;
    # half-width = 1.959964 · 3.933660 = 7.709833
    params = derive_profile(V2, {"ci": {"reliability": 0.7}})
    result = score_company(company(evidence_count=5), params)
    lower, upper = result.ci.org_air
    assert upper - result.org_air == pytest.approx(7.709833, abs=1e-6)
    assert result.org_air - lower == pytest.approx(7.709833, abs=1e-6)


def test_no_evidence_counts_as_one_item() -> None:
    # n = max(1, 0) = 1 → rho = r = 0.30
    assert reliability(0, item_reliability=0.3, max_reliability=0.99) == 0.3
    assert score_company(company(evidence_count=0), V2) == score_company(
        company(evidence_count=1), V2
    )


def test_z_is_the_exact_normal_quantile() -> None:
    assert interval_z(0.95) == pytest.approx(Z95, abs=1e-12)
    assert interval_z(0.90) == pytest.approx(1.6448536269514729, abs=1e-12)


def test_a_full_company_worked_by_hand() -> None:
    # v2.0 weights (0.18, 0.15, 0.15, 0.17, 0.13, 0.12, 0.10), technology (avg V^R 65, H^R
    # base 85, timing 1.0), TC 0.4, mcap 0.7, 5 pieces of evidence.
    scores = {
        "data_infrastructure": 80,
        "ai_governance": 60,
        "technology_stack": 70,
        "talent_skills": 50,
        "leadership_vision": 90,
        "use_case_portfolio": 40,
        "culture_change": 60,
    }
    result = score_company(
        company(
            dimensions=scores,
            talent_concentration=0.4,
            market_cap_percentile=0.7,
            evidence_count=5,
        ),
        V2,
    )
    # M = 14.4 + 9 + 10.5 + 8.5 + 11.7 + 4.8 + 6 = 64.9
    assert result.weighted_mean == pytest.approx(64.9, abs=1e-12)
    # deviations 15.1, -4.9, 5.1, -14.9, 25.1, -24.9, -4.9; Σ w·dev² = 41.0418 + 3.6015
    # + 3.9015 + 37.7417 + 81.9013 + 74.4012 + 2.401 = 244.99; sigma = 15.652156; cv = 0.241173
    assert result.cv == pytest.approx(0.2411734422, abs=1e-9)
    # V^R = 64.9 · (1 - 0.25 · 0.241173) · (1 - 0.15 · 0.15) = 64.9 · 0.939707 · 0.9775
    assert result.vr == pytest.approx(59.6147542795, abs=1e-9)
    # PF = 0.6 · (59.614754 - 65)/50 + 0.4 · 0.2 · 2 = -0.064623 + 0.16 = 0.095377
    assert result.position_factor == pytest.approx(0.0953770514, abs=1e-9)
    # H^R = 85 · (1 + 0.15 · 0.095377) = 86.216057
    assert result.hr == pytest.approx(86.2160574048, abs=1e-9)
    # alignment = 1 - |59.614754 - 86.216057|/100 = 0.733987
    assert result.alignment == pytest.approx(0.7339869687, abs=1e-9)
    assert result.timing_factor == 1.0
    # synergy = 59.614754 · 86.216057/100 · 0.733987 · 1.0 = 37.725088
    assert result.synergy == pytest.approx(37.7250884525, abs=1e-9)
    # Org-AI-R = 0.88 · (0.6 · 59.614754 + 0.4 · 86.216057) + 0.12 · 37.725088 = 66.351653
    assert result.org_air == pytest.approx(66.3516530804, abs=1e-9)
    # rho = 5 · 0.3 / (1 + 4 · 0.3) = 0.681818; sqrt(1 - rho) = 0.564076;
    # half-widths z·sigma·0.564076: V^R 16.583532, H^R 13.266825, synergy 11.055688,
    # Org-AI-R 15.477963
    assert result.ci.vr == pytest.approx((43.0312224118, 76.1982861473), abs=1e-9)
    assert result.ci.hr == pytest.approx((72.9492319106, 99.4828828990), abs=1e-9)
    assert result.ci.synergy == pytest.approx((26.6694005406, 48.7807763643), abs=1e-9)
    assert result.ci.org_air == pytest.approx((50.8736900038, 81.8296161569), abs=1e-9)
    assert result.id == "acme"
    assert result.parameters_version == "v2.0"
    assert result.parameters_hash == V2.parameters_hash


def test_given_alignment_and_h_r_base_replace_the_defaults() -> None:
    # All 50 → V^R 50, PF -0.18 (see above); H^R = 40 · (1 - 0.027) = 38.92;
    # synergy = 50 · 38.92/100 · 0.5 · 1.0 = 9.73
    result = score_company(company(h_r_base=40, alignment=0.5), V2)
    assert result.hr == pytest.approx(38.92, abs=1e-12)
    assert result.alignment == 0.5
    assert result.synergy == pytest.approx(9.73, abs=1e-12)


def test_an_unknown_sector_uses_the_others_row() -> None:
    # "others": avg V^R 50, H^R base 70. All 50 → gap 0, PF 0, H^R = 70.
    result = score_company(company(sector="mining"), V2)
    assert result.position_factor == 0
    assert result.hr == 70


# --- every clamp of DESIGN.md §5 -------------------------------------------------------


def test_cv_is_zero_when_the_mean_is_zero() -> None:
    assert weighted_mean_and_cv([0.0] * 7, V2.ordered_weights, V2.weight_total) == (0.0, 0.0)
    result = score_company(company(dimensions=dict.fromkeys(DIMENSIONS, 0.0)), V2)
    assert (result.weighted_mean, result.cv, result.vr) == (0.0, 0.0, 0.0)


def test_dispersion_factor_clamps_at_zero() -> None:
    # v1.0, culture_change (w 0.05) = 100, the rest 0: M = 5, sigma² = 0.05·95² + 0.95·5² = 475,
    # cv = 21.794/5 = 4.3589; 1 - 0.25 · 4.3589 = -0.0897 → clamped to 0 → V^R = 0.
    scores = dict.fromkeys(DIMENSIONS, 0.0) | {"culture_change": 100.0}
    result = score_company(company(dimensions=scores), V1)
    assert result.weighted_mean == pytest.approx(5.0, abs=1e-12)
    assert result.cv == pytest.approx(4.358898943540674, abs=1e-12)
    assert result.vr == 0.0


def test_talent_factor_clamps_at_zero() -> None:
    # talent_penalty 2, TC 1: 1 - 2 · (1 - 0.25) = -0.5 → 0 → V^R = 0 despite M = 50.
    params = derive_profile(V2, {"talent_penalty": 2.0})
    assert score_company(company(talent_concentration=1.0), params).vr == 0.0
    # Without the clamp the default penalty cannot reach it: 1 - 0.15 · 0.75 = 0.8875.
    assert score_company(company(talent_concentration=1.0), V2).vr == pytest.approx(44.375)


def test_position_gap_clamps_at_both_ends() -> None:
    # V^R 100 vs manufacturing 45: (55/50 = 1.1) → 1; V^R 0 vs technology 65: -1.3 → -1.
    assert position_factor(100, 45, 0.5) == pytest.approx(0.6)
    assert position_factor(0, 65, 0.5) == pytest.approx(-0.6)
    # With mcap at the extremes PF reaches exactly ±1, the outer clamp's bounds.
    assert position_factor(100, 45, 1.0) == pytest.approx(1.0)
    assert position_factor(0, 65, 0.0) == pytest.approx(-1.0)


def test_hr_clamps_at_100() -> None:
    # H^R base 100, PF 0.82 (technology, V^R 100, mcap 1): 100 · 1.123 → 100
    result = score_company(
        company(dimensions=dict.fromkeys(DIMENSIONS, 100.0), h_r_base=100, market_cap_percentile=1),
        V2,
    )
    assert result.position_factor == pytest.approx(0.6 * 0.7 + 0.4)
    assert result.hr == 100.0


def test_synergy_and_upper_interval_bounds_clamp_at_100() -> None:
    # V^R = H^R = 100, alignment 1 - 0 = 1, timing 1.2: 100 · 100/100 · 1 · 1.2 = 120 → 100.
    # Org-AI-R = 0.88 · 100 + 0.12 · 100 = 100; 100 + z·SEM → 100.
    result = score_company(
        company(
            dimensions=dict.fromkeys(DIMENSIONS, 100.0),
            h_r_base=100,
            market_cap_percentile=1,
            timing_factor=1.2,
        ),
        V2,
    )
    assert result.synergy == 100.0
    assert result.org_air == pytest.approx(100.0)
    assert result.ci.synergy[1] == 100.0
    assert result.ci.org_air[1] == 100.0
    assert result.ci.org_air[0] < 100.0


def test_lower_interval_bounds_clamp_at_0() -> None:
    result = score_company(company(dimensions=dict.fromkeys(DIMENSIONS, 0.0)), V2)
    assert result.ci.vr[0] == 0.0
    assert result.ci.vr[1] == pytest.approx(Z95 * 15 * (1 - 0.3) ** 0.5)
    assert result.ci.synergy[0] == 0.0


def test_reliability_is_capped_at_max_reliability() -> None:
    # n = 1000: 300 / 300.7 = 0.99767 → 0.99; Org-AI-R half-width = z · 14 · sqrt(0.01) = 2.743950
    assert reliability(1000, item_reliability=0.3, max_reliability=0.99) == 0.99
    result = score_company(company(evidence_count=1000), V2)
    assert result.ci.org_air[1] - result.org_air == pytest.approx(2.743950, abs=1e-6)


def test_clamps_the_domain_never_reaches_still_hold() -> None:
    # With valid inputs V^R ≤ M ≤ 100, Org-AI-R is a convex mix of values ≤ 100, |PF| ≤ 1
    # and H^R ≥ 0 for δ ≤ 1, so these outer clamps cannot be hit through score_company;
    # they still guard the formulas themselves.
    assert (
        vr_score(150, 0, 0, lambda_penalty=0.25, talent_penalty=0.15, talent_threshold=0.25)
        == 100.0
    )
    assert org_air_score(150, 150, 150, alpha=0.6, beta=0.12) == 100.0
    assert org_air_score(-5, -5, -5, alpha=0.6, beta=0.12) == 0.0
    assert position_factor(100, 0, 2.0) == 1.0
    assert hr_score(60, -1, delta_position=1.5) == 0.0
    assert synergy_score(100, 100, 1, 1.5) == 100.0
