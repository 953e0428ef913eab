"""`python -m tests.support.fakesnow_server -s -p PORT`: fakesnow's server, with two fixes.

fakesnow 0.12.1 gets two things wrong that the export relies on; both are fixed here, in
the emulator, so that the statements under test are exactly the ones Snowflake gets:

- a table comment is pasted into its DuckDB catalogue unescaped, so any comment with an
  apostrophe (valid Snowflake: `COMMENT = 'a reviewer''s decision'`) fails with HTTP 500,
  which the connector then retries for minutes;
- a NULL timestamp is sent to the connector as 1970-01-01 (the Arrow struct Snowflake
  uses for timestamps is built without the column's null mask).
"""

from __future__ import annotations

import sys
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc
from fakesnow import arrow, cli, info_schema

_insert_table_comment_sql = info_schema.insert_table_comment_sql
_timestamp_to_sf_struct = arrow.timestamp_to_sf_struct


def _escaped_table_comment_sql(catalog: str, schema: str, table: str, comment: str | None) -> str:
    # Annotated `str` upstream, but None for a table created without a comment.
    escaped = comment.replace("'", "''") if comment else comment
    return _insert_table_comment_sql(catalog, schema, table, cast(str, escaped))


def _timestamp_struct_keeping_nulls(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(ts, pa.ChunkedArray):
        ts = ts.combine_chunks()
    nulls = ts.is_null()
    if not pc.any(nulls).as_py():
        return _timestamp_to_sf_struct(ts)
    # Any valid instant in the masked slots; the struct's own null mask hides them.
    filled = pc.if_else(nulls, pa.scalar(0, type=ts.type), ts)
    struct = _timestamp_to_sf_struct(filled)
    return pa.StructArray.from_arrays(arrays=struct.flatten(), fields=list(struct.type), mask=nulls)


info_schema.insert_table_comment_sql = _escaped_table_comment_sql
arrow.timestamp_to_sf_struct = _timestamp_struct_keeping_nulls

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
