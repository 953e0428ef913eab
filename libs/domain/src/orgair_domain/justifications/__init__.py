"""Justifications: per dimension, why an assessment's score is what it is, written by a
model from the company's best evidence for that dimension and citing it.

A justification job (`orgair_domain.jobs`, kind `justifications`) runs in the worker,
one task per dimension. Each justification keeps a copy of the excerpts it cites, so
deleting the evidence later never breaks it.
"""
