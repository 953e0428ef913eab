"""Celery worker: fund scoring jobs, reports to S3, progress events."""
