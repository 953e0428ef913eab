"""JSON lines in, JSON lines out: what `orgair score`, `orgair ebitda` and `orgair plan` share.

Each command reads one JSON object per line (file or stdin) and writes one JSON object
per line to stdout, in input order. A line that cannot be processed yields
`{"line": n, "error": "..."}` in its place and the command exits 1 at the end; a bad
profile, `--params` file or setting exits 2 with one line on stderr. Lines are parsed
one by one and evaluated in batches, so the engine's NumPy paths amortise their calls
while memory stays bounded for inputs of any length.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Generic, NoReturn, TypeVar

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from orgair_config import (
    ScoringSettings,
    describe_validation_error,
    get_scoring_settings,
    load_settings_or_exit,
)
from orgair_scoring import (
    BUILTIN_PROFILE_VERSIONS,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    profile_from_settings,
)

LARGE_INPUT_BYTES = 1 << 20
"""A progress bar is worth drawing from about 1 MiB (a few thousand lines) up."""

LINES_PER_BATCH = 2048
"""Lines parsed before they are evaluated together."""

ParsedT = TypeVar("ParsedT")

InputArgument = Annotated[
    str,
    typer.Argument(
        metavar="INPUT.jsonl|-",
        help="JSON lines, one object per line; '-' (the default) reads stdin.",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="|".join(BUILTIN_PROFILE_VERSIONS),
        help="Parameter profile; default: PARAM_VERSION from the settings.",
        show_default=False,
    ),
]
ParamsOption = Annotated[
    Path | None,
    typer.Option(
        "--params",
        metavar="FILE.json",
        help="Full or partial ScoringParameters JSON, merged over --profile.",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class LineCommand(Generic[ParsedT]):
    """One JSON-lines command: its name (error prefix), what it draws progress as, how it
    parses an object and how it evaluates a batch of parsed inputs (one JSON-ready dict
    per input, in order)."""

    name: str
    activity: str
    parse: Callable[[dict[str, Any]], ParsedT | str]
    evaluate: Callable[[Sequence[ParsedT]], list[dict[str, Any]]]

    def run(self, input_path: str) -> NoReturn:
        """Process `input_path` ('-': stdin) and exit: 0, or 1 if any line was bad."""
        source, size = open_input(self.name, input_path)
        # stdin stays open for whoever owns it; a file we opened is closed.
        owned = nullcontext(source) if source is sys.stdin.buffer else source
        try:
            with owned, _progress(self.activity, size) as advance:
                had_bad_lines = self._process(
                    source,
                    sys.stdout.buffer,
                    lines_per_batch=1 if source.isatty() else LINES_PER_BATCH,
                    advance=advance,
                )
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, without a second error at
            # exit when Python flushes the dead pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        raise typer.Exit(1 if had_bad_lines else 0)

    def _parse_line(self, text: bytes) -> ParsedT | str:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            return f"invalid JSON: {exc}"
        if not isinstance(data, dict):
            return f"expected a JSON object, got {type(data).__name__}"
        return self.parse(data)

    def _process(
        self, source: BinaryIO, out: BinaryIO, *, lines_per_batch: int, advance: Any
    ) -> bool:
        """Every non-blank line, results in input order; True if any line was bad."""
        had_bad_lines = False
        pending: list[tuple[int, ParsedT | str]] = []
        consumed = 0

        def flush() -> None:
            nonlocal had_bad_lines, consumed
            good = [parsed for _, parsed in pending if not isinstance(parsed, str)]
            results = iter(self.evaluate(good))
            lines = []
            for line_number, parsed in pending:
                if isinstance(parsed, str):
                    had_bad_lines = True
                    lines.append(orjson.dumps({"line": line_number, "error": parsed}))
                else:
                    lines.append(orjson.dumps(next(results)))
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
            pending.append((line_number, self._parse_line(text)))
            if len(pending) >= lines_per_batch:
                flush()
        if pending:
            flush()
        advance(consumed)
        return had_bad_lines


def validation_message(error: ValidationError) -> str:
    """A pydantic error as one line naming each offending field."""
    return "; ".join(describe_validation_error(error))


def fail(command: str, message: str) -> NoReturn:
    print(f"{command}: {message}", file=sys.stderr)  # noqa: T201 (the command's one-line error)
    raise typer.Exit(2)


def settings_or_exit(command: str) -> ScoringSettings:
    return load_settings_or_exit(command, get_scoring_settings)


def parameters(command: str, profile: str | None, params_file: Path | None) -> ScoringParameters:
    """The profile to use: --profile (or PARAM_VERSION) with --params merged over it."""
    if profile is not None and profile not in BUILTIN_PROFILE_VERSIONS:
        fail(
            command,
            f"unknown profile {profile!r} (choose from {', '.join(BUILTIN_PROFILE_VERSIONS)})",
        )
    if profile == "v1.0":
        # v1.0 is fixed by CS1: no settings are read, so a broken .env does not matter here.
        base = builtin_profile(profile)
    else:
        settings = settings_or_exit(command)
        base = profile_from_settings(profile or settings.PARAM_VERSION, settings)
    if params_file is None:
        return base
    return _merge_params_file(command, base, params_file)


def _merge_params_file(
    command: str, base: ScoringParameters, params_file: Path
) -> ScoringParameters:
    try:
        raw = params_file.read_bytes()
    except OSError as exc:
        fail(command, f"cannot read --params {params_file}: {exc.strerror or exc}")
    try:
        overrides = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        fail(command, f"--params {params_file} is not valid JSON: {exc}")
    if not isinstance(overrides, dict):
        fail(
            command,
            f"--params {params_file} must hold a JSON object, got {type(overrides).__name__}",
        )
    try:
        return derive_profile(base, overrides)
    except ValidationError as exc:
        fail(command, f"--params {params_file}: {validation_message(exc)}")


def open_input(command: str, input_path: str) -> tuple[BinaryIO, int | None]:
    """The input stream and its size in bytes when known (a regular file)."""
    if input_path == "-":
        source: BinaryIO = sys.stdin.buffer
    else:
        try:
            source = Path(input_path).open("rb")  # noqa: SIM115 (closed by the caller's with)
        except OSError as exc:
            fail(command, f"cannot read {input_path}: {exc.strerror or exc}")
    try:
        info = os.fstat(source.fileno())
    except (OSError, ValueError):
        return source, None  # no file descriptor (an in-memory stream)
    return source, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextmanager
def _progress(activity: str, size: int | None) -> Iterator[Any]:
    """Yields advance(n_bytes): a rich progress bar on stderr for large inputs on a terminal."""
    if size is None or size < LARGE_INPUT_BYTES or not sys.stderr.isatty():
        yield lambda _: None
        return
    with Progress(
        TextColumn(activity),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(activity, total=size)
        yield lambda consumed: bar.advance(task, consumed)
