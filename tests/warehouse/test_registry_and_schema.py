"""The table registry and the Snowflake DDL, offline: what the emulator does not model
(column comments, type names, constraints Snowflake would reject or ignore) is checked
against the real snowflake-sqlalchemy dialect and Snowflake's grammar (sqlglot)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlglot
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlglot import exp

from orgair_database import (
    JSONText,
    UpdatedAt,
    UTCDateTime,
    UUIDPrimaryKey,
    UUIDString,
    append_only,
    secret,
)
from orgair_domain.models import metadata
from orgair_warehouse.docs import tables_markdown
from orgair_warehouse.platform import EXCLUDED_TABLES, platform_tables
from orgair_warehouse.registry import RegistryError, export_registry
from orgair_warehouse.schema import (
    EXPORTED_AT,
    WarehouseSchemaError,
    create_table_ddl,
    export_state,
    plan_schema,
    schema_ddl,
    snowflake_dialect,
    string_literal,
    warehouse_tables,
)

TABLES = {table.name: table for table in platform_tables()}


def compiled_type(column: Column[Any]) -> str:
    return str(snowflake_dialect().type_compiler_instance.process(column.type))


def parse_snowflake(sql: str) -> exp.Expr:
    parsed = sqlglot.parse_one(sql, read="snowflake")
    assert parsed is not None
    return parsed


def test_types_follow_the_source_definitions() -> None:
    types = {
        (name, column.name): compiled_type(column)
        for name, table in TABLES.items()
        for column in table.target.columns
    }
    for json_column in (("org_air_scores", "inputs"), ("org_air_scores", "result"),
                        ("org_air_scores", "review_reasons"), ("parameter_profiles", "parameters")):  # fmt: skip
        assert types[json_column] == "VARIANT", json_column
    for name, table in TABLES.items():
        for column in table.exported.columns:
            kind = types[(name, column.name)]
            if isinstance(column.type, UUIDString):
                assert kind == "VARCHAR(36)", (name, column.name, kind)
            if isinstance(column.type, UTCDateTime):
                assert kind == "TIMESTAMP_TZ", (name, column.name, kind)
            if isinstance(column.type, JSONText):
                assert kind == "VARIANT", (name, column.name, kind)
    assert types[("companies", "position_factor")] == "FLOAT"
    assert types[("dimension_scores", "evidence_count")] == "INTEGER"
    assert types[("companies", "is_deleted")] == "BOOLEAN"
    assert types[("assessments", "assessment_date")] == "DATE"
    assert types[("companies", "name")] == "VARCHAR(255)"
    assert types[("scoring_job_failures", "reason")] == "VARCHAR"


def test_ddl_is_snowflake_sql_with_comments_and_only_the_primary_key() -> None:
    statements = schema_ddl(list(TABLES.values()))
    assert len(statements) == len(TABLES) + 1
    for ddl in statements:
        parsed = parse_snowflake(ddl)
        assert isinstance(parsed, exp.Create)
        # Outside the comments' string literals: no constraint but the primary key.
        upper = re.sub(r"'(?:[^'\\]|\\.|'')*'", "''", ddl).upper()
        for refused in ("CHECK", "FOREIGN KEY", "REFERENCES", "UNIQUE", "INDEX"):
            assert refused not in upper, (refused, ddl)
        assert upper.count("PRIMARY KEY") == 1
        assert not list(parsed.find_all(exp.ForeignKey, exp.UniqueColumnConstraint))
        assert ddl.startswith("CREATE TABLE IF NOT EXISTS")
    companies = create_table_ddl(TABLES["companies"].target)
    assert "id VARCHAR(36) NOT NULL COMMENT 'Unique id (UUID, 36 characters)'" in companies
    assert f"{EXPORTED_AT} TIMESTAMP_TZ NOT NULL" in companies
    assert "PRIMARY KEY (id)" in companies
    assert re.search(r"\) COMMENT = 'A portfolio company\.", companies)
    # The id comes first, the export's own column last.
    columns = [column.name for column in TABLES["companies"].target.columns]
    assert columns[0] == "id" and columns[-1] == EXPORTED_AT


def test_every_exported_column_and_table_is_documented() -> None:
    undocumented = [
        f"{name}.{column.name}"
        for name, table in TABLES.items()
        for column in table.target.columns
        if not column.comment
    ]
    assert undocumented == []
    assert [name for name, table in TABLES.items() if not table.target.comment] == []


@pytest.mark.parametrize(
    "comment",
    ["a reviewer's decision", "back\\slash", "quote ' and \\' both", "new\nline"],
)
def test_comments_survive_snowflake_quoting(comment: str) -> None:
    ddl = create_table_ddl(
        Table("t", MetaData(), Column("id", String(36), primary_key=True), comment=comment)
    )
    parsed = parse_snowflake(ddl)
    table_comment = parsed.find(exp.SchemaCommentProperty)
    assert table_comment is not None and table_comment.this.this == comment
    assert string_literal("it's") == "'it''s'"


def test_secrets_are_not_exported_and_say_so() -> None:
    api_keys = TABLES["api_keys"]
    assert {"key_digest", "hint"} == set(api_keys.exported.excluded_columns)
    ddl = create_table_ddl(api_keys.target)
    assert "key_digest VARCHAR" not in ddl and "hint VARCHAR" not in ddl
    assert "Not exported (secret, stays in the system of record): `key_digest`, `hint`." in (
        tables_markdown(list(TABLES.values()))
    )


def test_append_only_tables_and_change_columns() -> None:
    append_only_tables = {name for name, table in TABLES.items() if table.exported.append_only}
    assert append_only_tables == {
        "industries", "parameter_profiles", "review_decisions", "scoring_job_failures",
        "llm_calls", "value_creation_plan_decisions", "evidence_dimensions", "justifications",
        "justification_citations", "ic_memos",
    }  # fmt: skip
    assert TABLES["review_decisions"].exported.change_column.name == "decided_at"
    assert TABLES["value_creation_plan_decisions"].exported.change_column.name == "decided_at"
    for name, table in TABLES.items():
        if name not in append_only_tables:
            assert table.exported.change_column.name == "updated_at", name


def test_schema_plan_creates_what_is_missing_and_adds_columns_nullable() -> None:
    tables = list(TABLES.values())
    statements, changes = plan_schema({}, tables)
    assert len(statements) == len(tables) + 1 and changes.created[0] == export_state.name
    everything = {
        table.name: {column.name for column in table.columns}
        for table in (export_state, *(item.target for item in tables))
    }
    assert plan_schema(everything, tables) == ([], plan_schema(everything, tables)[1])
    assert not plan_schema(everything, tables)[1].changed
    without = {**everything, "companies": everything["companies"] - {"ticker", "updated_at"}}
    statements, changes = plan_schema(without, tables)
    assert changes.added == {"companies": ("ticker", "updated_at")}
    assert all(statement.startswith("ALTER TABLE companies ADD COLUMN") for statement in statements)
    assert "NOT NULL" not in " ".join(statements)  # existing rows have no value yet
    for statement in statements:
        assert isinstance(parse_snowflake(statement), exp.Alter)


# --- the registry is generic: tables come from whatever metadata it is given -----------


class _Base(DeclarativeBase):
    pass


class _Ledger(UUIDPrimaryKey, _Base):
    """A table added later (an LLM ledger, say): exported without touching the export."""

    __tablename__ = "llm_calls"
    __table_args__ = {"info": append_only("called_at")}

    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), doc="When")
    prompt_tokens: Mapped[int] = mapped_column(doc="Tokens in")
    request: Mapped[str] = mapped_column(JSONText, doc="What was asked")


class _Evidence(UUIDPrimaryKey, UpdatedAt, _Base):
    __tablename__ = "evidence"

    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("llm_calls.id"), doc="llm_calls.id")
    storage_secret: Mapped[str] = mapped_column(String(64), info=secret())


def test_new_tables_are_picked_up_from_the_metadata() -> None:
    registry = export_registry(_Base.metadata)
    assert [table.name for table in registry] == ["llm_calls", "evidence"]
    ledger, evidence = warehouse_tables(registry)
    assert compiled_type(ledger.target.c.request) == "VARIANT"
    assert ledger.exported.append_only and not evidence.exported.append_only
    assert evidence.exported.excluded_columns == ("storage_secret",)
    assert ledger.target.comment and ledger.target.comment.startswith("A table added later")
    assert [table.name for table in export_registry(_Base.metadata, exclude={"evidence"})] == [
        "llm_calls"
    ]


def _table(*columns: Column[Any], info: dict[str, Any] | None = None) -> MetaData:
    meta = MetaData()
    Table("t", meta, *columns, info=info or {})
    return meta


@pytest.mark.parametrize(
    ("metadata_", "message"),
    [
        (_table(Column("id", UUIDString(), primary_key=True)), "cannot find its changes"),
        (
            _table(
                Column("id", UUIDString(), primary_key=True),
                Column("created_at", UTCDateTime()),
                info=append_only("inserted"),
            ),
            "names no column",
        ),
        (
            _table(
                Column("id", UUIDString(), primary_key=True),
                Column("updated_at", UTCDateTime(), nullable=True),
            ),
            "NOT NULL",
        ),
        (
            _table(
                Column("a", UUIDString(), primary_key=True),
                Column("b", UUIDString(), primary_key=True),
            ),
            "one key column",
        ),
        (
            _table(
                Column("id", Integer(), primary_key=True),
                Column("updated_at", UTCDateTime(), nullable=False),
            ),
            "text or UUID key",
        ),
        (
            _table(
                Column("id", UUIDString(), primary_key=True),
                Column("updated_at", UTCDateTime(), nullable=False),
                Column("refresh_token", Text()),
            ),
            "looks like a secret",
        ),
    ],
)
def test_tables_the_export_cannot_follow_are_refused(metadata_: MetaData, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        export_registry(metadata_)


def test_a_reviewed_secret_looking_column_can_be_exported() -> None:
    meta = _table(
        Column("id", UUIDString(), primary_key=True),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("parameters_digest", String(64), info={"secret": False}),
    )
    [table] = export_registry(meta)
    assert "parameters_digest" in {column.name for column in table.columns}
    with pytest.raises(RegistryError, match="do not exist"):
        export_registry(meta, exclude={"nope"})


@pytest.mark.parametrize("kind", ["interval", "array"])
def test_a_type_without_snowflake_counterpart_is_named(kind: str) -> None:
    from sqlalchemy import ARRAY, Interval

    meta = _table(
        Column("id", UUIDString(), primary_key=True),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("span", Interval() if kind == "interval" else ARRAY(Integer())),
    )
    with pytest.raises(WarehouseSchemaError, match=r"t\.span: no Snowflake type"):
        warehouse_tables(export_registry(meta))


def test_platform_metadata_is_what_gets_exported() -> None:
    import orgair_llm.ledger_table  # noqa: F401

    assert set(TABLES) == set(metadata.tables) - EXCLUDED_TABLES
    # The chunks stay behind (the full-text index's integer row id is their key); the
    # search index itself is no table of the metadata at all.
    assert {"evidence_chunks"} == EXCLUDED_TABLES
    assert "evidence_chunks_fts" not in metadata.tables
    assert "search_vector" not in metadata.tables["evidence_chunks"].columns
