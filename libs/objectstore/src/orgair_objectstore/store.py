"""S3 object store: AWS itself, LocalStack, or the embedded S3 server in development."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from orgair_config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ObjectStoreError(Exception):
    """An S3 call failed; the message is safe to show (no credentials)."""


class ObjectStore:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @classmethod
    def from_settings(
        cls, settings: Settings, *, connect_timeout: float = 2.0, retries: int = 2
    ) -> ObjectStore:
        client = boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            region_name=settings.AWS_REGION,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID.get_secret_value(),
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY.get_secret_value(),
            config=Config(
                connect_timeout=connect_timeout,
                read_timeout=10,
                retries={"max_attempts": retries, "mode": "standard"},
                # Emulators serve buckets by path, not by virtual host.
                s3={"addressing_style": "path" if settings.S3_ENDPOINT_URL else "auto"},
            ),
        )
        return cls(client, settings.S3_BUCKET)

    def check_bucket(self, *, create_if_missing: bool) -> bool:
        """Raise unless the bucket is reachable; returns True when it had to be created."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in {"404", "NoSuchBucket", "NotFound"}:
                raise ObjectStoreError(f"bucket {self.bucket!r}: {_describe(exc)}") from None
            if not create_if_missing:
                raise ObjectStoreError(f"bucket {self.bucket!r} does not exist") from None
        except BotoCoreError as exc:
            raise ObjectStoreError(_describe(exc)) from None
        try:
            self._client.create_bucket(Bucket=self.bucket, **self._location())
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(
                f"cannot create bucket {self.bucket!r}: {_describe(exc)}"
            ) from None
        return True

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"put {key!r}: {_describe(exc)}") from None

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
            body: bytes = response["Body"].read()
            return body
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"get {key!r}: {_describe(exc)}") from None

    def delete(self, key: str) -> None:
        """Remove the object; deleting a key that does not exist is not an error (S3's rule)."""
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"delete {key!r}: {_describe(exc)}") from None

    def presigned_get_url(self, key: str, *, expires_seconds: int = 300) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires_seconds,
        )
        return url

    def _location(self) -> dict[str, Any]:
        region = self._client.meta.region_name
        # us-east-1 is the one region S3 rejects as an explicit LocationConstraint.
        if region and region != "us-east-1":
            return {"CreateBucketConfiguration": {"LocationConstraint": region}}
        return {}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")
