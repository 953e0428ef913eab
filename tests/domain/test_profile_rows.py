"""Parameter-profile rows are keyed by both fingerprints (issue 12).

Two parameter sets of one name that differ only in their value-creation constants share
`parameters_hash` (a score's recorded hash ignores those constants), so they must be two
rows, or a plan would point at constants it was not computed with.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from orgair_domain.parameters import service as parameters
from orgair_domain.parameters.models import ParameterProfile
from orgair_init.migrate import upgrade
from orgair_scoring import ScoringParameters, builtin_profile


def test_value_creation_constants_alone_make_a_new_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    upgrade(url)
    base = builtin_profile("v2.0")
    constants = base.value_creation.model_dump() | {"gamma_0": 0.003}
    changed = ScoringParameters.model_validate(base.model_dump() | {"value_creation": constants})
    assert changed.version == base.version
    assert changed.parameters_hash == base.parameters_hash  # scores' hash unchanged
    assert changed.value_creation_hash != base.value_creation_hash
    engine = create_engine(url)
    with Session(engine) as session:
        first = parameters.record(session, base, source="builtin", actor=None)
        second = parameters.record(session, changed, source="builtin", actor=None)
        again = parameters.record(session, changed, source="builtin", actor=None)
        session.commit()
        assert first.id != second.id and again.id == second.id
        assert (first.value_creation_hash, second.value_creation_hash) == (
            base.value_creation_hash, changed.value_creation_hash
        )  # fmt: skip
        assert session.query(ParameterProfile).count() == 2
    engine.dispose()
