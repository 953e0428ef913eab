"""`/api/v2/parameters`: the parameter profiles (built-in and custom, immutable)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from orgair_auth import Role
from orgair_domain.parameters import service
from orgair_domain.parameters.schemas import ProfileCreate, ProfileName, ProfileOut
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import SessionDep, SettingsDep

router = APIRouter(prefix="/parameters", tags=["parameter profiles"])


@router.get("", response_model=list[ProfileOut])
def list_profiles(session: SessionDep, settings: SettingsDep) -> list[ProfileOut]:
    return service.list_profiles(session, settings)


@router.get("/{version}", response_model=ProfileOut, responses=problem_responses(404))
def get_profile(version: ProfileName, session: SessionDep, settings: SettingsDep) -> ProfileOut:
    return service.get_profile(session, settings, version)


@router.post(
    "",
    response_model=ProfileOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_role(Role.ADMIN))],
    responses=problem_responses(409, 422),
)
def create_profile(
    body: ProfileCreate, session: SessionDep, settings: SettingsDep, identity: IdentityDep
) -> ProfileOut:
    return service.create_profile(session, settings, body, actor=identity.key_id)
