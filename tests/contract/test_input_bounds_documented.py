"""Every input the public document describes is bounded there, so a new field cannot
reopen what the fuzzing run found (500s from integers past SQL INTEGER, names stored
with invisible characters): each integer has a maximum the database holds, and each
free-text string a length and a pattern that leaves control and format characters out.

The schemathesis run (test_public_openapi.py) then checks that the server keeps the
bounds it documents: its coverage phase sends each boundary and one past it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from re import _parser as re_parser
from typing import Any

from orgair_database.values import (
    INVISIBLE_RANGES,
    MAX_STORED_INT,
    VISIBLE_MULTILINE_TEXT,
    VISIBLE_TEXT,
)
from tests.contract.test_public_openapi import public_document

# Strings that need no pattern: their values come from a closed set or a fixed format
# (a URL is parsed, and normalised with its control characters percent-encoded).
CLOSED_FORMATS = frozenset({"uuid", "date", "date-time", "uri"})
VISIBLE_PATTERNS = frozenset({VISIBLE_TEXT.pattern, VISIBLE_MULTILINE_TEXT.pattern})


def inputs(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every scalar a request can carry: parameters and bodies,
    through references, unions, arrays and nested objects."""
    components = document["components"]["schemas"]

    def walk(schema: dict[str, Any], where: str, seen: frozenset[str]) -> Iterator[Any]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(components[name], f"{where}({name})", seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                # A pattern or length beside the union applies to its string option.
                merged = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "allOf")}
                yield from walk({**merged, **option}, where, seen)
        kind = schema.get("type")
        if kind in ("integer", "number", "string"):
            yield where, schema
        if kind == "array":
            yield from walk(schema.get("items", {}), f"{where}[]", seen)
        for name, child in schema.get("properties", {}).items():
            yield from walk(child, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from walk(extra, f"{where}.*", seen)

    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']}:{parameter['name']}"
                yield from walk(parameter["schema"], where, frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content["schema"], f"{label} body", frozenset())


def unbounded_integers(document: dict[str, Any]) -> list[str]:
    return [
        where
        for where, schema in inputs(document)
        if schema["type"] == "integer"
        and not (
            "minimum" in schema
            and isinstance(schema.get("maximum"), int | float)
            and schema["maximum"] <= MAX_STORED_INT
        )
    ]


def test_every_integer_input_fits_what_the_database_holds() -> None:
    assert unbounded_integers(public_document()) == []


def refuses_invisible_characters(pattern: str) -> bool:
    """Does `pattern` refuse text holding any control or format character (each tried
    alone and inside ordinary text)?"""
    compiled = re.compile(pattern)
    samples = [
        chr(code_point)
        for low, high in INVISIBLE_RANGES
        for code_point in range(low, high + 1)
        if code_point <= 0xFFFF and not 0xD800 <= code_point <= 0xDFFF
    ]
    return not any(
        compiled.search(sample) or compiled.search(f"Acme{sample}Co") for sample in samples
    )


def longest_match(pattern: str) -> int:
    return int(re_parser.parse(pattern).getwidth()[1])


def unbounded_strings(document: dict[str, Any]) -> list[str]:
    unbounded = []
    for where, schema in inputs(document):
        if schema["type"] != "string" or "enum" in schema or "const" in schema:
            continue
        if schema.get("format") in CLOSED_FORMATS or "contentMediaType" in schema:
            continue  # a fixed format, or a file's bytes (an upload) rather than text
        pattern = schema.get("pattern")
        bounded = "maxLength" in schema or (
            pattern is not None and longest_match(pattern) < re_parser.MAXREPEAT
        )
        allowed = pattern is not None and (
            pattern in VISIBLE_PATTERNS or refuses_invisible_characters(pattern)
        )
        if not (bounded and allowed):
            unbounded.append(where)
    return unbounded


def test_every_free_text_input_is_bounded_and_refuses_invisible_characters() -> None:
    assert unbounded_strings(public_document()) == []


def test_the_checks_find_an_unbounded_input() -> None:
    document = copy.deepcopy(public_document())
    page = next(
        parameter
        for parameter in document["paths"]["/api/v1/companies"]["get"]["parameters"]
        if parameter["name"] == "page"
    )
    del page["schema"]["maximum"]
    assert unbounded_integers(document) == ["GET /api/v1/companies query:page"]
    name = document["components"]["schemas"]["CompanyCreate"]["properties"]["name"]
    name["pattern"] = "^.*$"
    assert "POST /api/v1/companies body(CompanyCreate).name" in unbounded_strings(document)
