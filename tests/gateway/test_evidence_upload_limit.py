"""An evidence upload through the real gateway to the real scoring app: the multipart
body is proxied as it is, and the gateway's body limit leaves room for the largest
document the API accepts (the settings refuse a gateway limit that would not)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from orgair_auth import Role
from orgair_config import Settings
from tests.api.helpers import MANUFACTURING
from tests.evidence.documents import pdf_with_text
from tests.gateway.conftest import IssueKey
from tests.gateway.support import ThreadedServer, serving

UPLOAD_LIMIT = 200_000
GATEWAY_LIMIT = UPLOAD_LIMIT + 65_536


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        EVIDENCE_MAX_UPLOAD_BYTES=UPLOAD_LIMIT, GATEWAY_MAX_BODY_BYTES=GATEWAY_LIMIT
    )


@pytest.fixture
def gateway_to_scoring(
    migrated: Settings, gateway_settings: Callable[..., Settings]
) -> Iterator[ThreadedServer]:
    from orgair_gateway.app import create_app as create_gateway
    from orgair_scoring_api.app import create_app as create_scoring

    with (
        serving(create_scoring(migrated)) as scoring,
        serving(create_gateway(gateway_settings(SCORING_URL=scoring.url))) as gateway,
    ):
        yield gateway


def post_file(api: httpx.Client, url: str, name: str, content: bytes, media: str) -> httpx.Response:
    return api.post(
        url, files={"file": (name, content, media)}, data={"dimensions": ["culture_change"]}
    )


def test_uploads_through_the_gateway(
    gateway_to_scoring: ThreadedServer, issue_key: IssueKey
) -> None:
    headers = {"Authorization": f"Bearer {issue_key(Role.ANALYST).key}"}
    with httpx.Client(base_url=gateway_to_scoring.url, headers=headers, timeout=30) as api:
        company = api.post(
            "/api/v1/companies", json={"name": "Gateway Co", "industry_id": MANUFACTURING}
        ).json()["id"]
        url = f"/api/v2/companies/{company}/evidence/documents"
        pdf = pdf_with_text("Change programme on the gateway path")
        created = post_file(api, url, "programme.pdf", pdf, "application/pdf")
        assert created.status_code == 201, created.text
        found = api.get(f"/api/v2/companies/{company}/evidence", params={"q": "gateway"})
        assert [item["id"] for item in found.json()["items"]] == [created.json()["id"]]

        # The largest document the API accepts fits through the gateway...
        largest = post_file(api, url, "big.txt", b"word " * (UPLOAD_LIMIT // 5), "text/plain")
        assert largest.status_code == 201, largest.text
        # ...one byte more is scoring's own 413, naming the evidence limit...
        over = post_file(api, url, "big.txt", b"w" * (UPLOAD_LIMIT + 1), "text/plain")
        assert over.status_code == 413
        assert over.json()["type"].endswith("/evidence-too-large")
        # ...and a body past the gateway's limit never reaches scoring.
        huge = post_file(api, url, "huge.txt", b"w" * GATEWAY_LIMIT, "text/plain")
        assert huge.status_code == 413
        assert huge.json()["type"].endswith("/content-too-large")
