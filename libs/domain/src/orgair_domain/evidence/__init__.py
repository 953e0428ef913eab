"""Evidence: what analysts attach to a company to back its dimension scores.

A text note, a URL with an excerpt, or an uploaded document (PDF, HTML, plain text),
tagged with the dimensions it supports, its source and date. Documents keep their
original in S3; every item's text is cut into chunks that the database's own
full-text search indexes (SQLite FTS5, PostgreSQL tsvector), so a company's evidence
can be ranked by relevance to a query, and a justification can cite the chunks it
was written from.
"""
