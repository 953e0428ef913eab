"""The fund summary is read through Redis under a fingerprint of its inputs: a repeat
read is served from the cache, and every write that changes the summary makes the next
read compute it afresh (orgair_domain.funds.summary_inputs lists them)."""

from __future__ import annotations

from typing import Any

import redis
from fastapi.testclient import TestClient

from tests.api.helpers import V1
from tests.api_v2.helpers import TECHNOLOGY, V2, company
from tests.api_v2.test_funds import HEALTHCARE, create_fund, scored_company


def summary_of(client: TestClient, fund_id: str) -> dict[str, Any]:
    response = client.get(f"{V2}/funds/{fund_id}/summary")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cached_summaries(redis_client: redis.Redis, fund_id: str) -> list[bytes]:
    return list(redis_client.scan_iter(match=f"*:fund:{fund_id}:summary:*"))


def test_a_repeat_read_is_served_from_the_cache(
    client: TestClient, redis_client: redis.Redis
) -> None:
    member = scored_company(client, TECHNOLOGY, 80, "Cached Leader")
    fund = create_fund(client, [{"company_id": member["id"], "ev_usd": 10.0}])
    assert cached_summaries(redis_client, fund["id"]) == []
    first = summary_of(client, fund["id"])
    assert len(cached_summaries(redis_client, fund["id"])) == 1
    second = summary_of(client, fund["id"])
    assert second == first  # the same computed_at: not computed again
    assert len(cached_summaries(redis_client, fund["id"])) == 1


def test_every_write_that_changes_the_summary_makes_it_fresh(
    client: TestClient, redis_client: redis.Redis
) -> None:
    leader = scored_company(client, TECHNOLOGY, 80, "Leader")
    held = scored_company(client, TECHNOLOGY, 10, "Held For Review")  # pending: unscored
    other = scored_company(client, HEALTHCARE, 60, "Other")
    fund = create_fund(
        client,
        [{"company_id": leader["id"], "ev_usd": 100.0}, {"company_id": held["id"]}],
        name="Before",
    )
    fid = fund["id"]
    seen = [summary_of(client, fid)]

    def fresh() -> dict[str, Any]:
        """The summary after a write: computed again, never the cached one."""
        current = summary_of(client, fid)
        assert current["computed_at"] > seen[-1]["computed_at"]
        assert summary_of(client, fid) == current  # and cached again under the new key
        seen.append(current)
        return current

    added = client.post(
        f"{V2}/funds/{fid}/members", json={"members": [{"company_id": other["id"]}]}
    )
    assert added.status_code == 201, added.text
    assert fresh()["member_count"] == 3

    changed = client.put(f"{V2}/funds/{fid}/members/{leader['id']}", json={"ev_usd": 300.0})
    assert changed.status_code == 200, changed.text
    by_id = {m["company_id"]: m for m in fresh()["members"]}
    assert by_id[leader["id"]]["ev_usd"] == 300.0

    assert client.patch(f"{V2}/funds/{fid}", json={"name": "After"}).status_code == 200
    assert fresh()["fund_name"] == "After"

    renamed = client.put(f"{V1}/companies/{other['id']}", json={"industry_id": TECHNOLOGY})
    assert renamed.status_code == 200, renamed.text
    assert {s["sector"] for s in fresh()["sectors"]} == {"technology"}

    assert seen[-1]["scored_count"] == 2
    decided = client.post(
        f"{V2}/reviews/{held['score']['id']}/decision", json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    after_approval = fresh()
    assert after_approval["scored_count"] == 3
    assert after_approval["unscored"] == []

    assert after_approval["value_creation"]["members_with_plans"] == 0
    planned = client.post(
        f"{V2}/companies/{leader['id']}/value-creation-plans", json={"target_org_air": 85.0}
    )
    assert planned.status_code == 201, planned.text
    assert planned.json()["review_status"] == "auto_approved"
    assert fresh()["value_creation"]["members_with_plans"] == 1

    assert client.delete(f"{V2}/funds/{fid}/members/{other['id']}").status_code == 204
    assert fresh()["member_count"] == 2

    assert client.delete(f"{V1}/companies/{held['id']}").status_code == 204
    final = fresh()
    assert [m["company_id"] for m in final["members"]] == [leader["id"]]


def test_a_deleted_fund_has_no_summary_even_when_one_was_cached(client: TestClient) -> None:
    member = company(client, name="Lonely")
    fund = create_fund(client, [{"company_id": member["id"]}])
    summary_of(client, fund["id"])
    assert client.delete(f"{V2}/funds/{fund['id']}").status_code == 204
    gone = client.get(f"{V2}/funds/{fund['id']}/summary")
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
