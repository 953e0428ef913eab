"""Redis cache-aside client that degrades to misses when Redis is down."""

from orgair_cache.cache import DEFAULT_NAMESPACE, Cache

__all__ = ["DEFAULT_NAMESPACE", "Cache"]
