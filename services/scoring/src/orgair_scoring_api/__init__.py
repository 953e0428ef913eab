"""Scoring API: companies, assessments, dimension scores, scores and reviews."""
