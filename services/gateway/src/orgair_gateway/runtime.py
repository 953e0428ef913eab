"""The gateway's process-wide resources, created in the lifespan and closed after it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from orgair_auth import IdentitySigner
from orgair_config import Settings
from orgair_database import Database
from orgair_gateway.dashboard.sessions import SessionStore
from orgair_gateway.keystore import KeyAuthenticator
from orgair_gateway.proxy import UpstreamProxy, UpstreamSettings
from orgair_gateway.rate_limit import RateLimiter, RateLimitPolicy

__all__ = ["GatewayResources", "GatewayRuntime"]


@dataclass
class GatewayResources:
    settings: Settings
    database: Database
    authenticator: KeyAuthenticator
    rate_limiter: RateLimiter
    proxy: UpstreamProxy
    key_policy: RateLimitPolicy
    # Failed authentications per client address: past `address_policy` they are
    # answered 429; past `address_ceiling` (the same counter) no uncached key is
    # looked up for the address any more.
    address_policy: RateLimitPolicy
    sessions: SessionStore
    address_ceiling: RateLimitPolicy
    # Sent while Redis is down: the policy still holds, the remaining count is unknown.
    policy_only_headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, proxy: UpstreamProxy) -> GatewayResources:
        secret = settings.SECRET_KEY.get_secret_value()
        database = Database.from_settings(settings)
        key_policy = RateLimitPolicy("per-key", settings.RATE_LIMIT_PER_MINUTE)
        address_policy = RateLimitPolicy(
            "failed-auth-per-address", settings.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE
        )
        return cls(
            settings=settings,
            database=database,
            authenticator=KeyAuthenticator(
                database, secret, cache_seconds=settings.API_KEY_CACHE_SECONDS
            ),
            rate_limiter=RateLimiter.from_url(
                settings.REDIS_URL, timeout_seconds=settings.RATE_LIMIT_REDIS_TIMEOUT_SECONDS
            ),
            proxy=proxy,
            key_policy=key_policy,
            address_policy=address_policy,
            address_ceiling=replace(
                address_policy, quota=settings.RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE
            ),
            sessions=SessionStore.from_url(
                settings.REDIS_URL,
                timeout_seconds=settings.RATE_LIMIT_REDIS_TIMEOUT_SECONDS,
                lifetime_seconds=settings.DASHBOARD_SESSION_SECONDS,
                idle_seconds=settings.DASHBOARD_IDLE_SECONDS,
            ),
            policy_only_headers=[(b"ratelimit-policy", key_policy.header.encode("latin-1"))],
        )

    async def close(self) -> None:
        await self.proxy.close()
        await self.rate_limiter.close()
        await self.sessions.close()
        self.database.dispose()


class GatewayRuntime:
    """Holds the resources for the middleware, which is built before the lifespan runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proxy = UpstreamProxy(
            UpstreamSettings(
                base_url=settings.scoring_upstream_url,
                connect_timeout=settings.GATEWAY_UPSTREAM_CONNECT_TIMEOUT_SECONDS,
                read_timeout=settings.GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS,
                pool_timeout=settings.GATEWAY_UPSTREAM_POOL_TIMEOUT_SECONDS,
                pool_size=settings.GATEWAY_UPSTREAM_POOL_SIZE,
            ),
            IdentitySigner(settings.SECRET_KEY.get_secret_value()),
        )
        self._resources: GatewayResources | None = None

    @property
    def resources(self) -> GatewayResources:
        if self._resources is None:
            raise RuntimeError("gateway resources are created in the lifespan")
        return self._resources

    async def start(self) -> GatewayResources:
        # Build first (no I/O, may fail on a bad setting), then open the upstream pool.
        resources = GatewayResources.build(self.settings, self.proxy)
        await self.proxy.start()
        self._resources = resources
        return resources

    async def stop(self) -> None:
        if self._resources is not None:
            await self._resources.close()
            self._resources = None
