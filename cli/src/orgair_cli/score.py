"""`orgair score`: Org-AI-R for companies given as JSON lines, without the API.

Reads one `CompanyInputs` JSON object per line (file or stdin) and writes one
`ScoreResult` JSON object per line to stdout, in input order. A line that cannot be
scored yields `{"line": n, "error": "..."}` in its place and the command exits 1 at
the end; a bad profile, `--params` file or setting exits 2 with one line on stderr.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NoReturn

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from orgair_config import describe_validation_error, get_scoring_settings, load_settings_or_exit
from orgair_scoring import (
    BUILTIN_PROFILE_VERSIONS,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    profile_from_settings,
    score_batch,
)

COMMAND = "orgair score"

LARGE_INPUT_BYTES = 1 << 20
"""A progress bar is worth drawing from about 1 MiB (a few thousand companies) up."""

LINES_PER_BATCH = 2048
"""Lines parsed before they are scored together: score_batch amortises its NumPy calls
over the batch while memory stays bounded for inputs of any length."""


def register(app: typer.Typer) -> None:
    """Add `score` to the `orgair` command."""
    app.command("score", help="Score companies from JSON lines (one CompanyInputs per line).")(
        score
    )


def score(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT.jsonl|-",
            help="JSON lines of CompanyInputs; '-' (the default) reads stdin.",
            show_default=False,
        ),
    ] = "-",
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="|".join(BUILTIN_PROFILE_VERSIONS),
            help="Parameter profile; default: PARAM_VERSION from the settings.",
            show_default=False,
        ),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params",
            metavar="FILE.json",
            help="Full or partial ScoringParameters JSON, merged over --profile.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score companies from JSON lines; one ScoreResult JSON line per company on stdout."""
    params = _parameters(profile, params_file)
    source, size = _open_input(input_path)
    # stdin stays open for whoever owns it; a file we opened is closed.
    owned = nullcontext(source) if source is sys.stdin.buffer else source
    try:
        with owned, _progress(size) as advance:
            had_bad_lines = _score_lines(
                source,
                params,
                sys.stdout.buffer,
                lines_per_batch=1 if source.isatty() else LINES_PER_BATCH,
                advance=advance,
            )
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit
        # when Python flushes the dead pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(1) from None
    raise typer.Exit(1 if had_bad_lines else 0)


def _fail(message: str) -> NoReturn:
    print(f"{COMMAND}: {message}", file=sys.stderr)  # noqa: T201 (the command's one-line error)
    raise typer.Exit(2)


def _parameters(profile: str | None, params_file: Path | None) -> ScoringParameters:
    """The profile to score with: --profile (or PARAM_VERSION) with --params merged over it."""
    if profile is not None and profile not in BUILTIN_PROFILE_VERSIONS:
        _fail(f"unknown profile {profile!r} (choose from {', '.join(BUILTIN_PROFILE_VERSIONS)})")
    if profile == "v1.0":
        # v1.0 is fixed by CS1: no settings are read, so a broken .env does not matter here.
        base = builtin_profile(profile)
    else:
        settings = load_settings_or_exit(COMMAND, get_scoring_settings)
        base = profile_from_settings(profile or settings.PARAM_VERSION, settings)
    if params_file is None:
        return base
    return _merge_params_file(base, params_file)


def _merge_params_file(base: ScoringParameters, params_file: Path) -> ScoringParameters:
    try:
        raw = params_file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read --params {params_file}: {exc.strerror or exc}")
    try:
        overrides = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        _fail(f"--params {params_file} is not valid JSON: {exc}")
    if not isinstance(overrides, dict):
        _fail(f"--params {params_file} must hold a JSON object, got {type(overrides).__name__}")
    try:
        return derive_profile(base, overrides)
    except ValidationError as exc:
        _fail(f"--params {params_file}: {'; '.join(describe_validation_error(exc))}")


def _open_input(input_path: str) -> tuple[BinaryIO, int | None]:
    """The input stream and its size in bytes when known (a regular file)."""
    if input_path == "-":
        source: BinaryIO = sys.stdin.buffer
    else:
        try:
            source = Path(input_path).open("rb")  # noqa: SIM115 (closed by the caller's with)
        except OSError as exc:
            _fail(f"cannot read {input_path}: {exc.strerror or exc}")
    try:
        info = os.fstat(source.fileno())
    except (OSError, ValueError):
        return source, None  # no file descriptor (an in-memory stream)
    return source, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextmanager
def _progress(size: int | None) -> Iterator[Any]:
    """Yields advance(n_bytes): a rich progress bar on stderr for large inputs on a terminal."""
    if size is None or size < LARGE_INPUT_BYTES or not sys.stderr.isatty():
        yield lambda _: None
        return
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("scoring", total=size)
        yield lambda consumed: bar.advance(task, consumed)


def _parse_line(text: bytes) -> CompanyInputs | str:
    """The line's inputs, or a one-line reason it cannot be scored."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    try:
        return CompanyInputs.model_validate(data)
    except ValidationError as exc:
        return "; ".join(describe_validation_error(exc))


def _score_lines(
    source: BinaryIO,
    params: ScoringParameters,
    out: BinaryIO,
    *,
    lines_per_batch: int,
    advance: Any,
) -> bool:
    """Score every non-blank line, writing results in input order; True if any line was bad."""
    had_bad_lines = False
    pending: list[tuple[int, CompanyInputs | str]] = []
    consumed = 0

    def flush() -> None:
        nonlocal had_bad_lines, consumed
        companies = [parsed for _, parsed in pending if isinstance(parsed, CompanyInputs)]
        results = iter(score_batch(companies, params).to_dicts())
        lines = []
        for line_number, parsed in pending:
            if isinstance(parsed, CompanyInputs):
                lines.append(orjson.dumps(next(results)))
            else:
                had_bad_lines = True
                lines.append(orjson.dumps({"line": line_number, "error": parsed}))
        out.write(b"\n".join(lines) + b"\n")
        out.flush()
        advance(consumed)
        pending.clear()
        consumed = 0

    for line_number, raw in enumerate(source, start=1):
        consumed += len(raw)
        text = raw.strip()
        if not text:
            continue
        pending.append((line_number, _parse_line(text)))
        if len(pending) >= lines_per_batch:
            flush()
    if pending:
        flush()
    advance(consumed)
    return had_bad_lines
