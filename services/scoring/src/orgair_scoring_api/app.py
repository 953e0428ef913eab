"""FastAPI application factory of the scoring API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI

from orgair_auth import IdentityVerifier, ReplayGuard
from orgair_cache import Cache
from orgair_config import Settings, get_settings
from orgair_database import Database
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.events import JobEventPublisher, JobEventReader
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.jobs.states import JobState
from orgair_domain.reviews import service as reviews
from orgair_llm import LLMClient, SqlLedgerSink
from orgair_objectstore import ObjectStore
from orgair_observability import get_logger, setup_service
from orgair_observability.instrumentation import instrument_redis, instrument_sqlalchemy
from orgair_observability.metrics import CACHE_REQUESTS, JOBS, REVIEWS_PENDING
from orgair_observability.service import FASTAPI_TELEMETRY
from orgair_scoring_api.auth import GatewayIdentityRequired
from orgair_scoring_api.body_digest import BodyDigestMiddleware
from orgair_scoring_api.dependencies import Resources
from orgair_scoring_api.problems import install_domain_error_handler
from orgair_scoring_api.routers.assessments import router as assessments_router
from orgair_scoring_api.routers.companies import router as companies_router
from orgair_scoring_api.routers.dimension_scores import router as dimension_scores_router
from orgair_scoring_api.routers.evidence import router as evidence_router
from orgair_scoring_api.routers.funds import router as funds_router
from orgair_scoring_api.routers.health import router as health_router
from orgair_scoring_api.routers.ic_memos import router as ic_memos_router
from orgair_scoring_api.routers.industries import router as industries_router
from orgair_scoring_api.routers.jobs import router as jobs_router
from orgair_scoring_api.routers.justifications import router as justifications_router
from orgair_scoring_api.routers.llm_usage import router as llm_usage_router
from orgair_scoring_api.routers.parameters import router as parameters_router
from orgair_scoring_api.routers.reviews import router as reviews_router
from orgair_scoring_api.routers.scores import router as scores_router
from orgair_scoring_api.routers.value_creation import router as value_creation_router

SERVICE = "scoring"
log = get_logger(__name__)


def build_resources(settings: Settings) -> Resources:
    database = Database.from_settings(settings)
    instrument_sqlalchemy(database.engine)
    instrument_redis()
    # One counter child per result, looked up once instead of on every read.
    cache_reads = {result: CACHE_REQUESTS.labels(result) for result in ("hit", "miss")}
    return Resources(
        settings=settings,
        database=database,
        cache=Cache.from_url(settings.REDIS_URL, on_read=lambda result: cache_reads[result].inc()),
        objects=ObjectStore.from_settings(settings),
        job_queue=JobQueue.from_settings(settings),
        job_events=JobEventPublisher.from_settings(settings),
        job_event_reader=JobEventReader.from_settings(settings),
        identity_verifier=IdentityVerifier(
            settings.SECRET_KEY.get_secret_value(),
            max_skew_seconds=settings.IDENTITY_MAX_SKEW_SECONDS,
        ),
        llm=LLMClient.from_settings(settings, ledger=SqlLedgerSink(database)),
        replay_guard=ReplayGuard(settings.REDIS_URL),
    )


def count_pending_reviews(database: Database) -> float:
    with database.sessions() as session:
        return float(reviews.pending_count(session))


def count_jobs(database: Database, state: JobState) -> float:
    with database.sessions() as session:
        return float(jobs.count_in_state(session, state))


def watch_database_gauges(database: Database) -> None:
    """Gauges read from the database at scrape time: every replica reports the same truth."""
    REVIEWS_PENDING.set_function(lambda: count_pending_reviews(database))
    for state in JobState:
        JOBS.labels(state.value).set_function(partial(count_jobs, database, state))


def v1_router() -> APIRouter:
    router = APIRouter()
    for domain in (
        companies_router,
        assessments_router,
        dimension_scores_router,
        industries_router,
    ):
        router.include_router(domain)
    return router


def v2_router() -> APIRouter:
    router = APIRouter()
    for domain in (
        scores_router,
        value_creation_router,
        parameters_router,
        reviews_router,
        funds_router,
        jobs_router,
        evidence_router,
        justifications_router,
        ic_memos_router,
        llm_usage_router,
    ):
        router.include_router(domain)
    return router


def api_routers(v1_prefix: str, v2_prefix: str) -> list[tuple[str, APIRouter]]:
    """Every versioned router with its prefix: what callers reach through the gateway.

    `create_app` mounts each behind the gateway's signed identity, and the gateway
    documents exactly these routes in its public OpenAPI document (`openapi_document`).
    """
    return [(v1_prefix, v1_router()), (v2_prefix, v2_router())]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = build_resources(settings)
        app.state.resources = resources
        watch_database_gauges(resources.database)
        log.info("service_started", env=settings.APP_ENV, version=settings.APP_VERSION)
        try:
            yield
        finally:
            resources.llm.close()
            await resources.replay_guard.close()
            await resources.job_event_reader.close()
            resources.job_events.close()
            resources.job_queue.close()
            await resources.cache.aclose()
            resources.database.dispose()
            log.info("service_stopped")

    app = FastAPI(
        title=f"{settings.APP_NAME} — scoring API",
        version=settings.APP_VERSION,
        lifespan=lifespan,
        docs_url="/docs" if settings.DEBUG else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.DEBUG else None,
        telemetry=FASTAPI_TELEMETRY,
        # `/x/` for `/x` is a 404, not a redirect: scoring's redirect would name its own
        # address, which callers of the gateway must never be sent to.
        redirect_slashes=False,
    )
    app.add_middleware(BodyDigestMiddleware)
    setup_service(app, settings, service=SERVICE)
    install_domain_error_handler(app)
    app.include_router(health_router)
    # Probes stay open; everything under /api needs the gateway's signed identity.
    for prefix, router in api_routers(settings.API_V1_PREFIX, settings.API_V2_PREFIX):
        app.include_router(router, prefix=prefix, dependencies=[GatewayIdentityRequired])
    return app
