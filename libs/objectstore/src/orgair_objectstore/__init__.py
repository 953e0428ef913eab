"""S3 object-store client."""

from orgair_objectstore.store import ObjectStore, ObjectStoreError

__all__ = ["ObjectStore", "ObjectStoreError"]
