"""Calls the evidence tests make again and again."""

from __future__ import annotations

from typing import Any

import boto3
from fastapi.testclient import TestClient

from orgair_config import Settings
from tests.api.helpers import create_company

V2 = "/api/v2"


def new_company(client: TestClient, name: str = "Evidence Co") -> str:
    company_id: str = create_company(client, name=name)["id"]
    return company_id


def add_note(
    client: TestClient, company_id: str, text: str, dimensions: list[str], **fields: Any
) -> dict[str, Any]:
    body = {"kind": "note", "title": fields.pop("title", "Note"), "text": text,
            "dimensions": dimensions, **fields}  # fmt: skip
    response = client.post(f"{V2}/companies/{company_id}/evidence", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def upload(
    client: TestClient,
    company_id: str,
    content: bytes,
    *,
    filename: str = "document.bin",
    content_type: str | None = None,
    dimensions: tuple[str, ...] = ("data_infrastructure",),
    **fields: str,
) -> Any:
    file = (filename, content) if content_type is None else (filename, content, content_type)
    return client.post(
        f"{V2}/companies/{company_id}/evidence/documents",
        files={"file": file},
        data={"dimensions": list(dimensions), **fields},
    )


def search(client: TestClient, company_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{V2}/companies/{company_id}/evidence", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def stored_objects(settings: Settings, company_id: str) -> list[str]:
    """The keys of the company's evidence originals, read straight from S3 (the bucket is
    shared by every test of the session)."""
    prefix = f"evidence/{company_id}/"
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        region_name=settings.AWS_REGION,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID.get_secret_value(),
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY.get_secret_value(),
    )
    listed = s3.list_objects_v2(Bucket=settings.S3_BUCKET, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]
