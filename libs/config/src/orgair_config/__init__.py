"""Shared configuration for every PE Org-AI-R service."""

from orgair_config.errors import (
    SettingsError,
    describe_validation_error,
    load_settings,
    load_settings_or_exit,
)
from orgair_config.llm_models import (
    DEFAULT_LLM_PRICES,
    LLMProvider,
    ModelPrice,
    llm_provider_for,
)
from orgair_config.settings import (
    ScoringSettings,
    Settings,
    get_scoring_settings,
    get_settings,
    sqlite_path,
)

__all__ = [
    "DEFAULT_LLM_PRICES",
    "LLMProvider",
    "ModelPrice",
    "ScoringSettings",
    "Settings",
    "SettingsError",
    "describe_validation_error",
    "get_scoring_settings",
    "get_settings",
    "llm_provider_for",
    "load_settings",
    "load_settings_or_exit",
    "sqlite_path",
]
