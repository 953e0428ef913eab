"""Parameter profiles: the built-ins as this deployment configures them, and custom ones.

Profiles are immutable: a custom profile is created once and never edited (a changed
profile is a new name), and the built-in `v2.0` is recorded anew whenever the settings
change its numbers. Every score references the exact row it was computed with.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_domain.errors import Conflict, NotFound, Unprocessable
from orgair_domain.parameters import repository
from orgair_domain.parameters.models import ParameterProfile
from orgair_domain.parameters.schemas import ProfileCreate, ProfileOut
from orgair_scoring import (
    BUILTIN_PROFILE_VERSIONS,
    ScoringParameters,
    UnknownProfileError,
    derive_profile,
    profile_from_settings,
)


def _params_of(row: ParameterProfile) -> ScoringParameters:
    return ScoringParameters.model_validate_json(row.parameters)


def lookup(session: Session, settings: Settings, version: str) -> ScoringParameters:
    """The profile named `version`; raises UnknownProfileError."""
    if version in BUILTIN_PROFILE_VERSIONS:
        return profile_from_settings(version, settings)
    row = repository.latest_custom(session, version)
    if row is None:
        raise UnknownProfileError(version)
    return _params_of(row)


def record(
    session: Session, params: ScoringParameters, *, source: str, actor: str | None
) -> ParameterProfile:
    """The row holding exactly these numbers under this name, inserted when new."""
    existing = repository.find(
        session, params.version, params.parameters_hash, params.value_creation_hash
    )
    if existing is not None:
        return existing
    row = ParameterProfile(
        version=params.version,
        parameters_hash=params.parameters_hash,
        value_creation_hash=params.value_creation_hash,
        parameters=params.model_dump_json(),
        source=source,
        created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent request recorded the same profile first.
        found = repository.find(
            session, params.version, params.parameters_hash, params.value_creation_hash
        )
        assert found is not None
        return found
    return row


def resolve_for_scoring(
    session: Session, settings: Settings, version: str | None, *, actor: str | None
) -> tuple[ScoringParameters, ParameterProfile]:
    name = version or settings.PARAM_VERSION
    try:
        params = lookup(session, settings, name)
    except UnknownProfileError as exc:
        raise Unprocessable(
            "Unknown parameter profile",
            str(exc),
            errors=[{"pointer": "/body/profile", "detail": str(exc)}],
        ) from None
    source = "builtin" if name in BUILTIN_PROFILE_VERSIONS else "custom"
    return params, record(session, params, source=source, actor=actor)


def _out(params: ScoringParameters, settings: Settings, row: ParameterProfile | None) -> ProfileOut:
    return ProfileOut(
        version=params.version,
        parameters_hash=params.parameters_hash,
        source="builtin" if params.version in BUILTIN_PROFILE_VERSIONS else "custom",
        is_default=params.version == settings.PARAM_VERSION,
        parameters=params.model_dump(mode="json"),
        created_by=row.created_by if row else None,
        created_at=row.created_at if row else None,
    )


def list_profiles(session: Session, settings: Settings) -> list[ProfileOut]:
    builtins = [
        _out(profile_from_settings(version, settings), settings, None)
        for version in BUILTIN_PROFILE_VERSIONS
    ]
    customs = [_out(_params_of(row), settings, row) for row in repository.list_custom(session)]
    return builtins + customs


def get_profile(session: Session, settings: Settings, version: str) -> ProfileOut:
    try:
        params = lookup(session, settings, version)
    except UnknownProfileError:
        raise NotFound("parameter profile", version) from None
    row = (
        None if version in BUILTIN_PROFILE_VERSIONS else repository.latest_custom(session, version)
    )
    return _out(params, settings, row)


def create_profile(
    session: Session, settings: Settings, data: ProfileCreate, *, actor: str | None
) -> ProfileOut:
    if data.version in BUILTIN_PROFILE_VERSIONS or repository.latest_custom(session, data.version):
        raise Conflict(f"parameter profile {data.version!r} exists and profiles are immutable")
    try:
        base = lookup(session, settings, data.base)
    except UnknownProfileError as exc:
        raise Unprocessable(
            "Unknown parameter profile",
            str(exc),
            errors=[{"pointer": "/body/base", "detail": str(exc)}],
        ) from None
    try:
        params = derive_profile(base, {**data.overrides, "version": data.version})
    except ValidationError as exc:
        raise Unprocessable(
            "Invalid parameter profile",
            "the overrides do not form a valid profile",
            errors=_pointers(exc),
        ) from None
    row = record(session, params, source="custom", actor=actor)
    session.commit()
    return _out(params, settings, row)


def _pointers(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "pointer": "/body/overrides/" + "/".join(str(part) for part in error["loc"]),
            "detail": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors(include_input=False, include_url=False)
    ]
