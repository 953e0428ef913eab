"""LLM calls."""
