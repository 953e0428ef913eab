"""The one `Settings` object every service reads.

Every field of the lab's settings is here with its default and bounds, plus the
embedded defaults that let a laptop run the whole platform with nothing but
Python. `production` refuses those embedded defaults.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from orgair_config.llm_models import DEFAULT_LLM_PRICES, ModelPrice, llm_provider_for
from orgair_config.urls import check_database_url, check_url

# Room a multipart upload needs beyond its file: part headers, boundaries, form fields.
MULTIPART_ENVELOPE_BYTES = 65_536

# Credentials that appear in public documentation (AWS docs, LocalStack) or in
# `.env.example`. They are fine for a laptop and never for production.
EXAMPLE_CREDENTIALS = frozenset(
    {
        "test",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "change-me",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "localstack", "s3"})  # noqa: S104
DEFAULT_DATABASE_URL = "sqlite:///var/orgair.db"
# Databases that enforce unique and foreign keys and lock rows, which the API relies on.
SYSTEM_OF_RECORD_BACKENDS = frozenset({"sqlite", "postgresql"})
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
HTTP_SCHEMES = frozenset({"http", "https"})
WEIGHT_FIELDS = (
    "W_DATA_INFRA",
    "W_AI_GOVERNANCE",
    "W_TECH_STACK",
    "W_TALENT",
    "W_LEADERSHIP",
    "W_USE_CASES",
    "W_CULTURE",
)


_ENV_FILE_CONFIG = SettingsConfigDict(
    env_file=".env",
    env_file_encoding="utf-8",
    case_sensitive=False,
    extra="ignore",
    validate_default=True,
)


class ScoringSettings(BaseSettings):
    """The scoring parameters alone: enough for the engine and `orgair score`, no secrets."""

    model_config = _ENV_FILE_CONFIG

    PARAM_VERSION: Literal["v1.0", "v2.0"] = "v2.0"

    # Scoring parameters (the v2.0 profile)
    ALPHA_VR_WEIGHT: float = Field(default=0.60, ge=0.55, le=0.70)
    BETA_SYNERGY_WEIGHT: float = Field(default=0.12, ge=0.08, le=0.20)
    LAMBDA_PENALTY: float = Field(default=0.25, ge=0, le=0.50)
    DELTA_POSITION: float = Field(default=0.15, ge=0.10, le=0.20)

    # Dimension weights (the v2.0 profile)
    W_DATA_INFRA: float = Field(default=0.18, ge=0.0, le=1.0)
    W_AI_GOVERNANCE: float = Field(default=0.15, ge=0.0, le=1.0)
    W_TECH_STACK: float = Field(default=0.15, ge=0.0, le=1.0)
    W_TALENT: float = Field(default=0.17, ge=0.0, le=1.0)
    W_LEADERSHIP: float = Field(default=0.13, ge=0.0, le=1.0)
    W_USE_CASES: float = Field(default=0.12, ge=0.0, le=1.0)
    W_CULTURE: float = Field(default=0.10, ge=0.0, le=1.0)

    # Human in the loop
    HITL_SCORE_CHANGE_THRESHOLD: float = Field(default=15.0, ge=5, le=30)
    HITL_EBITDA_PROJECTION_THRESHOLD: float = Field(default=10.0, ge=5, le=25)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> ScoringSettings:
        total = sum(self.dimension_weights.values())
        if abs(total - 1.0) > 0.001:
            raise ValueError(f"W_* dimension weights must sum to 1.0 (±0.001), got {total:.4f}")
        return self

    @property
    def dimension_weights(self) -> dict[str, float]:
        """The v2.0 weights keyed by dimension name."""
        return {
            "data_infrastructure": self.W_DATA_INFRA,
            "ai_governance": self.W_AI_GOVERNANCE,
            "technology_stack": self.W_TECH_STACK,
            "talent_skills": self.W_TALENT,
            "leadership_vision": self.W_LEADERSHIP,
            "use_case_portfolio": self.W_USE_CASES,
            "culture_change": self.W_CULTURE,
        }


class Settings(ScoringSettings):
    """Application settings; validated once at process start."""

    model_config = _ENV_FILE_CONFIG

    # Application
    APP_NAME: str = "PE Org-AI-R Platform"
    APP_VERSION: str = "4.0.0"
    APP_ENV: Literal["development", "staging", "production"] = "development"
    DEBUG: bool = False
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    LOG_FORMAT: Literal["json", "console"] = "json"
    SECRET_KEY: SecretStr = Field(
        ..., description="Key for signing; at least 32 characters in production."
    )

    # API
    API_V1_PREFIX: str = "/api/v1"
    API_V2_PREFIX: str = "/api/v2"
    RATE_LIMIT_PER_MINUTE: int = Field(default=60, ge=1, le=1000)

    # Database: the system of record. It must enforce unique and foreign keys and lock
    # rows (the API's rules rely on all three): PostgreSQL, or SQLite for development.
    DATABASE_URL: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of the system of record: PostgreSQL (SQLite for "
        "development); empty = sqlite:///var/orgair.db.",
    )
    DATABASE_POOL_SIZE: int = Field(default=5, ge=1, le=100)
    DATABASE_ECHO: bool = False

    # Snowflake: the warehouse every record is exported to (libs/warehouse), never the
    # system of record. Unused while SNOWFLAKE_ACCOUNT is empty.
    SNOWFLAKE_ACCOUNT: str | None = None
    SNOWFLAKE_USER: str | None = None
    SNOWFLAKE_PASSWORD: SecretStr | None = None
    SNOWFLAKE_DATABASE: str = "PE_ORGAIR"
    SNOWFLAKE_SCHEMA: str = "PUBLIC"
    SNOWFLAKE_WAREHOUSE: str | None = None
    SNOWFLAKE_ROLE: str = "PE_ORGAIR_ROLE"
    SNOWFLAKE_ENDPOINT_URL: str | None = Field(
        default=None,
        description="Empty = Snowflake itself (<account>.snowflakecomputing.com); "
        "otherwise e.g. the fakesnow emulator's http://127.0.0.1:PORT.",
    )

    # The warehouse export (orgair export snowflake; the worker's periodic task)
    WAREHOUSE_EXPORT_INTERVAL_SECONDS: int = Field(
        default=0, ge=0, le=7 * 86400, description="The worker exports this often; 0 = off"
    )
    WAREHOUSE_EXPORT_BATCH_SIZE: int = Field(default=5000, ge=1, le=100_000)
    WAREHOUSE_EXPORT_SETTLE_SECONDS: float = Field(
        default=120.0,
        ge=0,
        le=3600,
        description="Rows changed in the last N seconds wait for the next run: longer than "
        "the time from a row's timestamp to its commit (a write transaction, an LLM attempt) "
        "plus the clock skew between replicas.",
    )
    WAREHOUSE_EXPORT_MAX_ATTEMPTS: int = Field(default=5, ge=1, le=20)
    WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS: float = Field(
        default=240.0,
        gt=0,
        le=86400,
        description="A periodic run starts no new batch after this long (the next run "
        "resumes); below CELERY_TASK_SOFT_TIME_LIMIT_SECONDS.",
    )

    # AWS / S3
    AWS_ACCESS_KEY_ID: SecretStr = SecretStr("test")
    AWS_SECRET_ACCESS_KEY: SecretStr = SecretStr("test")
    AWS_REGION: str = "us-east-1"
    S3_BUCKET: str = Field(default="pe-orgair-dev", min_length=3, max_length=63)
    S3_ENDPOINT_URL: str | None = Field(
        default="http://127.0.0.1:4566",
        description="Empty = AWS itself; otherwise LocalStack or the embedded S3 server.",
    )

    # Redis
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    CACHE_TTL_SECTORS: int = Field(default=86400, ge=1)
    CACHE_TTL_SCORES: int = Field(default=3600, ge=1)

    # LLM providers (the official SDKs' own variable names for keys and base URLs)
    OPENAI_API_KEY: SecretStr | None = None
    ANTHROPIC_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: str | None = Field(
        default=None, description="Empty = the provider's own API (the SDK's default)."
    )
    ANTHROPIC_BASE_URL: str | None = Field(
        default=None, description="Empty = the provider's own API (the SDK's default)."
    )
    DEFAULT_LLM_MODEL: str = "gpt-4o-2024-08-06"
    FALLBACK_LLM_MODEL: str = "claude-sonnet-4-20250514"
    LLM_PRICES_JSON: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="Per-model prices (USD per 1M tokens) merged over the built-in table, "
        'e.g. {"gpt-4o-2024-08-06": {"input": 2.5, "output": 10}}.',
    )
    LLM_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0, le=60)
    LLM_REQUEST_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0, le=600)
    LLM_MAX_RETRIES: int = Field(default=2, ge=0, le=5)
    LLM_RETRY_BACKOFF_BASE_SECONDS: float = Field(default=0.5, ge=0, le=30)
    LLM_RETRY_BACKOFF_MAX_SECONDS: float = Field(default=8.0, ge=0, le=120)
    LLM_MAX_OUTPUT_TOKENS: int = Field(default=2048, ge=1, le=64000)

    # Cost management
    DAILY_COST_BUDGET_USD: float = Field(default=500.0, ge=0)
    COST_ALERT_THRESHOLD_PCT: float = Field(default=0.8, ge=0, le=1)

    # What the models are asked to do: justifications and IC memos
    JUSTIFICATION_EVIDENCE_LIMIT: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Excerpts (the best of the company's evidence) a dimension's "
        "justification is written from.",
    )

    # Celery
    CELERY_BROKER_URL: str = "redis://127.0.0.1:6379/1"
    CELERY_RESULT_BACKEND: str = "redis://127.0.0.1:6379/2"
    CELERY_VISIBILITY_TIMEOUT_SECONDS: int = Field(
        default=3600,
        ge=10,
        le=86400,
        description="Seconds a delivered but unacknowledged task stays invisible before Redis "
        "hands it to another worker; must exceed CELERY_TASK_TIME_LIMIT_SECONDS.",
    )
    CELERY_TASK_SOFT_TIME_LIMIT_SECONDS: int = Field(default=300, ge=1, le=86400)
    CELERY_TASK_TIME_LIMIT_SECONDS: int = Field(default=360, ge=1, le=86400)
    CELERY_TASK_MAX_RETRIES: int = Field(default=5, ge=0, le=50)
    CELERY_RETRY_BACKOFF_MAX_SECONDS: float = Field(default=60.0, gt=0, le=3600)

    # Worker process (services/worker)
    WORKER_CONCURRENCY: int = Field(default=2, ge=1, le=64)
    WORKER_HEARTBEAT_FILE: str = Field(
        default="/tmp/orgair-worker.heartbeat",  # noqa: S108 (a liveness stamp, not a secret)
        min_length=1,
    )
    WORKER_HEARTBEAT_INTERVAL_SECONDS: float = Field(default=10.0, gt=0, le=300)
    WORKER_BROKER_LOST_EXIT_SECONDS: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="The worker exits (for its restart policy) once the broker has not "
        "answered for this long; shorter outages are ridden out in place.",
    )
    WORKER_METRICS_HOST: str = "127.0.0.1"
    WORKER_METRICS_PORT: int = Field(
        default=9101, ge=0, le=65535, description="Prometheus /metrics of the worker; 0 = off"
    )

    # Fund scoring jobs: fan-out, progress events (Redis Streams), reports
    FUND_JOB_CHUNK_SIZE: int = Field(default=500, ge=1, le=5000)
    JOB_EVENTS_MAX_LEN: int = Field(default=20000, ge=100, le=1_000_000)
    JOB_EVENTS_TTL_SECONDS: int = Field(default=86400, ge=60, le=30 * 86400)
    JOB_SSE_KEEPALIVE_SECONDS: float = Field(default=15.0, gt=0, le=15)
    JOB_REPORT_URL_EXPIRES_SECONDS: int = Field(default=300, ge=10, le=3600)

    # Evidence: uploaded documents (originals in S3) and their searchable text
    EVIDENCE_MAX_UPLOAD_BYTES: int = Field(
        default=10_485_760,
        ge=1024,
        le=536_870_912,
        description="Largest evidence document accepted (bytes); bigger uploads get a 413.",
    )
    EVIDENCE_MAX_TEXT_CHARS: int = Field(
        default=2_000_000,
        ge=1000,
        le=50_000_000,
        description="Most text kept from one evidence item; more is a 422.",
    )
    EVIDENCE_CHUNK_CHARS: int = Field(
        default=1200,
        ge=200,
        le=20_000,
        description="Target size of the indexed text chunks (a chunk is what search ranks "
        "and what a justification cites).",
    )
    EVIDENCE_URL_EXPIRES_SECONDS: int = Field(default=300, ge=10, le=3600)

    # Observability
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None
    OTEL_SERVICE_NAME: str = "pe-orgair"
    OTEL_TRACES_SAMPLE_RATIO: float = Field(
        default=1.0, ge=0, le=1, description="Share of new traces recorded (children follow)"
    )

    # Service addresses
    SCORING_HOST: str = "127.0.0.1"
    SCORING_PORT: int = Field(default=8001, ge=1, le=65535)
    GATEWAY_HOST: str = "127.0.0.1"
    GATEWAY_PORT: int = Field(default=8000, ge=1, le=65535)

    # Preflight: how long init waits for each dependency to come up
    PREFLIGHT_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0, le=600)

    # Gateway: the upstream it proxies to, and the limits it enforces at the edge
    SCORING_URL: str | None = Field(
        default=None,
        description="Base URL the gateway proxies /api/* to; empty = http://SCORING_HOST:SCORING_PORT.",
    )
    GATEWAY_UPSTREAM_CONNECT_TIMEOUT_SECONDS: float = Field(default=2.0, gt=0, le=60)
    GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0, le=600)
    GATEWAY_UPSTREAM_POOL_TIMEOUT_SECONDS: float = Field(default=2.0, gt=0, le=60)
    GATEWAY_UPSTREAM_POOL_SIZE: int = Field(default=100, ge=1, le=10000)
    GATEWAY_MAX_BODY_BYTES: int = Field(
        default=11_534_336,
        ge=1,
        le=1_073_741_824,
        description="Largest request body the gateway passes on; must leave room for an "
        "evidence upload of EVIDENCE_MAX_UPLOAD_BYTES and its multipart envelope.",
    )
    CORS_ALLOW_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    CORS_ALLOW_CREDENTIALS: bool = False
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Failed authentications per client address per minute answered 401; "
        "beyond them 429 (a valid key is still served).",
    )
    RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE: int = Field(
        default=600,
        ge=1,
        le=100_000,
        description="Failed authentications per client address per minute after which the "
        "gateway looks up no key it has not just seen valid (bounds key guessing).",
    )
    RATE_LIMIT_REDIS_TIMEOUT_SECONDS: float = Field(default=0.5, gt=0, le=10)
    API_KEY_CACHE_SECONDS: float = Field(default=10.0, ge=0, le=300)
    IDENTITY_MAX_SKEW_SECONDS: int = Field(default=30, ge=1, le=300)

    # Dashboard (server-rendered pages on the gateway): sign-in sessions kept in Redis
    DASHBOARD_SESSION_SECONDS: int = Field(
        default=28_800, ge=300, le=604_800, description="A session's whole life (absolute)"
    )
    DASHBOARD_IDLE_SECONDS: int = Field(
        default=1_800, ge=60, le=86_400, description="A session ends after this long unused"
    )
    # Every HTTP server (gateway, scoring): who may say where a request came from, and
    # how long and how large a request's head may be before the server cuts it.
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks whose X-Forwarded-For/-Proto are believed; "
        "empty = none (the peer address is the client).",
    )
    HTTP_HEADER_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=300)
    HTTP_MAX_HEADER_BYTES: int = Field(default=65536, ge=1024, le=1_048_576)
    HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: int = Field(default=5, ge=1, le=300)
    HTTP_MAX_CONCURRENCY: int = Field(default=1000, ge=1, le=100_000)

    @model_validator(mode="after")
    def _task_limits_ordered(self) -> Settings:
        # A task still running when its visibility timeout ends is handed to a second
        # worker; the hard limit kills it before that can happen.
        problems = []
        if self.CELERY_TASK_SOFT_TIME_LIMIT_SECONDS >= self.CELERY_TASK_TIME_LIMIT_SECONDS:
            problems.append(
                "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS must be less than "
                "CELERY_TASK_TIME_LIMIT_SECONDS"
            )
        if self.CELERY_TASK_TIME_LIMIT_SECONDS >= self.CELERY_VISIBILITY_TIMEOUT_SECONDS:
            problems.append(
                "CELERY_TASK_TIME_LIMIT_SECONDS must be less than "
                "CELERY_VISIBILITY_TIMEOUT_SECONDS (or a running task is delivered twice)"
            )
        if (
            self.RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE
            < self.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE
        ):
            problems.append(
                "RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE must be at least "
                "RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE"
            )
        if self.JOB_SSE_KEEPALIVE_SECONDS >= self.GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS:
            problems.append(
                "JOB_SSE_KEEPALIVE_SECONDS must be less than "
                "GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS (or the gateway cuts idle event streams)"
            )
        if self.GATEWAY_MAX_BODY_BYTES < self.EVIDENCE_MAX_UPLOAD_BYTES + MULTIPART_ENVELOPE_BYTES:
            problems.append(
                "GATEWAY_MAX_BODY_BYTES must be at least EVIDENCE_MAX_UPLOAD_BYTES + "
                f"{MULTIPART_ENVELOPE_BYTES} (the multipart envelope), or the gateway refuses "
                "evidence uploads the API accepts"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @field_validator("SECRET_KEY")
    @classmethod
    def _secret_key_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty (make dev writes a random one into .env)")
        return value

    @field_validator("CORS_ALLOW_ORIGINS", "TRUSTED_PROXIES", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # `.env` holds `CORS_ALLOW_ORIGINS=https://a.example,https://b.example`.
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        # Addresses and networks only: a name or "*" would let any caller choose the
        # address its failed attempts are counted under.
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from None
        return value

    @model_validator(mode="after")
    def _no_wildcard_origin_with_credentials(self) -> Settings:
        # Browsers refuse `*` with credentials; answering with the caller's origin
        # instead would let any site make credentialed calls. Only for DEBUG.
        if "*" in self.CORS_ALLOW_ORIGINS and self.CORS_ALLOW_CREDENTIALS and not self.DEBUG:
            raise ValueError(
                "CORS_ALLOW_ORIGINS: '*' is not allowed with CORS_ALLOW_CREDENTIALS=true "
                "outside DEBUG; list the origins"
            )
        return self

    @field_validator("OPENAI_API_KEY")
    @classmethod
    def _openai_key_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("sk-"):
            raise ValueError("must start with 'sk-'")
        return value

    @field_validator(
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "DATABASE_URL",
        "SNOWFLAKE_PASSWORD",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "S3_ENDPOINT_URL",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_USER",
        "SNOWFLAKE_WAREHOUSE",
        "SNOWFLAKE_ENDPOINT_URL",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # An empty line in .env (`OPENAI_API_KEY=`) means "not configured".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            url = value.get_secret_value()
            # A URL of a database that cannot be the system of record (Snowflake, MySQL,
            # ...) gets the refusal below, which says why and what to use, instead of a
            # driver complaint; the drivers of SQLite and PostgreSQL URLs are checked here.
            backend = url.split(":", 1)[0].split("+", 1)[0].lower()
            if "://" not in url or backend in SYSTEM_OF_RECORD_BACKENDS:
                check_database_url(url)
        return value

    @field_validator("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    @classmethod
    def _redis_url_usable(cls, value: str) -> str:
        check_url(value, schemes=REDIS_SCHEMES)
        return value

    @field_validator("S3_ENDPOINT_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "SCORING_URL")
    @classmethod
    def _http_url_usable(cls, value: str | None) -> str | None:
        if value:
            check_url(value, schemes=HTTP_SCHEMES)
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.APP_ENV != "production":
            return self
        problems: list[str] = []
        if self.DEBUG:
            problems.append("DEBUG must be false in production")
        if len(self.SECRET_KEY.get_secret_value()) < 32:
            problems.append("SECRET_KEY must be at least 32 characters in production")
        if self.SECRET_KEY.get_secret_value() in EXAMPLE_CREDENTIALS:
            problems.append("SECRET_KEY must not be the example value in production")
        if self.OPENAI_API_KEY is None and self.ANTHROPIC_API_KEY is None:
            problems.append(
                "OPENAI_API_KEY or ANTHROPIC_API_KEY: at least one LLM key is required "
                "in production"
            )
        if database_backend(self.database_url) != "postgresql":
            problems.append(
                "DATABASE_URL must be a PostgreSQL URL in production "
                "(postgresql+psycopg://…); SQLite is for development"
            )
        if (
            self.SNOWFLAKE_ENDPOINT_URL
            and urlsplit(self.SNOWFLAKE_ENDPOINT_URL).hostname in LOCAL_HOSTS
        ):
            problems.append(
                "SNOWFLAKE_ENDPOINT_URL must not be a local Snowflake emulator in production"
            )
        if self.S3_ENDPOINT_URL and urlsplit(self.S3_ENDPOINT_URL).hostname in LOCAL_HOSTS:
            problems.append("S3_ENDPOINT_URL must not be a local S3 emulator in production")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            secret: SecretStr = getattr(self, name)
            if secret.get_secret_value() in EXAMPLE_CREDENTIALS:
                problems.append(f"{name} must not be an example credential in production")
        if problems:
            # One line per problem; `describe_validation_error` splits them again.
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _system_of_record_enforces_the_rules(self) -> Settings:
        backend = database_backend(self.database_url)
        if backend == "snowflake":
            raise ValueError(
                "DATABASE_URL: Snowflake cannot be the system of record: standard Snowflake "
                "tables enforce only NOT NULL, and the API relies on unique and foreign keys "
                "and row locks; use PostgreSQL (SQLite for development) and set SNOWFLAKE_* "
                "to export every record to the warehouse"
            )
        if backend not in SYSTEM_OF_RECORD_BACKENDS:
            raise ValueError(
                f"DATABASE_URL: unsupported database {backend or '(no scheme)'!r}; "
                "use PostgreSQL (SQLite for development)"
            )
        return self

    @model_validator(mode="after")
    def _warehouse_complete(self) -> Settings:
        problems: list[str] = []
        if self.SNOWFLAKE_ACCOUNT:
            missing = [
                name
                for name in ("SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_WAREHOUSE")
                if getattr(self, name) is None
            ]
            if missing:
                problems.append(f"{', '.join(missing)} required when SNOWFLAKE_ACCOUNT is set")
            # An llm_calls row is stamped when its attempt begins and written when it ends.
            longest_attempt = self.LLM_CONNECT_TIMEOUT_SECONDS + self.LLM_REQUEST_TIMEOUT_SECONDS
            if longest_attempt >= self.WAREHOUSE_EXPORT_SETTLE_SECONDS:
                problems.append(
                    "WAREHOUSE_EXPORT_SETTLE_SECONDS must exceed LLM_CONNECT_TIMEOUT_SECONDS + "
                    "LLM_REQUEST_TIMEOUT_SECONDS: an LLM attempt's ledger row is written when "
                    "the attempt ends, stamped with when it began"
                )
        elif self.WAREHOUSE_EXPORT_INTERVAL_SECONDS:
            problems.append(
                "WAREHOUSE_EXPORT_INTERVAL_SECONDS: the periodic export needs the warehouse "
                "(set SNOWFLAKE_ACCOUNT and the other SNOWFLAKE_* settings, or use 0 = off)"
            )
        if (
            self.WAREHOUSE_EXPORT_INTERVAL_SECONDS
            and self.WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS
            >= self.CELERY_TASK_SOFT_TIME_LIMIT_SECONDS
        ):
            problems.append(
                "WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS must be less than "
                "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS (a periodic run stops between batches)"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _llm_models_routable(self) -> Settings:
        # A model must have a provider (by its name) and a price (for the budget's
        # worst-case reservation); the fallback must be the other provider's, or a
        # provider outage takes both down.
        problems = []
        prices = self.llm_prices
        for name in ("DEFAULT_LLM_MODEL", "FALLBACK_LLM_MODEL"):
            model: str = getattr(self, name)
            if llm_provider_for(model) is None:
                problems.append(
                    f"{name}: {model!r} is neither an OpenAI model (gpt-*, o1*, o3*, o4*, "
                    "chatgpt-*) nor an Anthropic model (claude-*)"
                )
            elif model not in prices:
                problems.append(f"{name}: no price for {model!r}; add it to LLM_PRICES_JSON")
        default_provider = llm_provider_for(self.DEFAULT_LLM_MODEL)
        if default_provider is not None and default_provider == llm_provider_for(
            self.FALLBACK_LLM_MODEL
        ):
            problems.append(
                "FALLBACK_LLM_MODEL must be a model of the other provider than "
                f"DEFAULT_LLM_MODEL (both are {default_provider})"
            )
        if self.LLM_RETRY_BACKOFF_BASE_SECONDS > self.LLM_RETRY_BACKOFF_MAX_SECONDS:
            problems.append(
                "LLM_RETRY_BACKOFF_BASE_SECONDS must not exceed LLM_RETRY_BACKOFF_MAX_SECONDS"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @field_validator("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")
    @classmethod
    def _http_base_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def llm_prices(self) -> dict[str, ModelPrice]:
        """The built-in price table with LLM_PRICES_JSON's entries over it."""
        return {**DEFAULT_LLM_PRICES, **self.LLM_PRICES_JSON}

    @property
    def database_url(self) -> str:
        """The effective SQLAlchemy URL (contains credentials: never log it)."""
        if self.DATABASE_URL is not None:
            return self.DATABASE_URL.get_secret_value()
        return DEFAULT_DATABASE_URL

    @property
    def warehouse_configured(self) -> bool:
        """Whether the SNOWFLAKE_* settings name a warehouse to export to."""
        return self.SNOWFLAKE_ACCOUNT is not None

    @property
    def scoring_base_url(self) -> str:
        return f"http://{self.SCORING_HOST}:{self.SCORING_PORT}"

    @property
    def gateway_base_url(self) -> str:
        return f"http://{self.GATEWAY_HOST}:{self.GATEWAY_PORT}"

    @property
    def scoring_upstream_url(self) -> str:
        """Where the gateway sends /api/* (no trailing slash)."""
        return (self.SCORING_URL or self.scoring_base_url).rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.APP_ENV == "production"


def database_backend(url: str) -> str:
    """`postgresql` for `postgresql+psycopg://…`, `sqlite`, `snowflake` …; '' without a scheme."""
    scheme, separator, _ = url.partition("://")
    return scheme.split("+", 1)[0].lower() if separator else ""


def sqlite_path(url: str) -> Path | None:
    """The file behind a `sqlite:///` URL (None for memory or other databases)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return None
    return Path(url[len(prefix) :].split("?", 1)[0])


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (validated once, then cached)."""
    return Settings()


@lru_cache
def get_scoring_settings() -> ScoringSettings:
    """Only the scoring parameters: for tools that need no secrets (`orgair score`)."""
    return ScoringSettings()
