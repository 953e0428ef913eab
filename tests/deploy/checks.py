"""Structural checks for compose.yaml, the Dockerfiles and the collector config.

Each check takes the parsed document (and the repository root where it needs
files) and returns a list of problems, one readable line each; an empty list
means the check passed. The tests assert the real files give no problems, and
that mutated copies do, so every check is shown able to fail.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]

# The only service allowed to publish a port (DESIGN.md §2).
PUBLIC_SERVICE = "gateway"
# LocalStack tags after this need an auth token.
LOCALSTACK_MAX_VERSION = (4, 14, 0)

SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY)", re.IGNORECASE)
INTERPOLATION = re.compile(
    r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}$"
)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


# --------------------------------------------------------------------- helpers


def services(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(doc.get("services") or {})


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment` as a mapping (compose allows a list too)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """Dependency name -> condition (the short list form means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def is_one_shot(service: Mapping[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


def command_argv(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def module_of(argv: list[str]) -> str | None:
    """`python -m pkg.mod ...` -> `pkg.mod`."""
    if len(argv) >= 3 and Path(argv[0]).name.startswith("python") and argv[1] == "-m":
        return argv[2]
    return None


def image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def parse_version(tag: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", tag)
    return tuple(int(part) for part in match.groups()) if match else None


# ------------------------------------------------------------------ workspace


@dataclass(frozen=True)
class Member:
    name: str
    path: str  # relative to the repository root
    modules: tuple[str, ...]  # import packages the wheel ships


@cache
def workspace_members(root: Path = REPO_ROOT) -> dict[str, Member]:
    """Every uv workspace member (from the root pyproject's member globs)."""
    root_cfg = tomllib.loads((root / "pyproject.toml").read_text())
    globs = root_cfg["tool"]["uv"]["workspace"]["members"]
    members: dict[str, Member] = {}
    for pattern in globs:
        for directory in sorted(root.glob(pattern)):
            pyproject = directory / "pyproject.toml"
            if not pyproject.is_file():
                continue
            cfg = tomllib.loads(pyproject.read_text())
            name = cfg["project"]["name"]
            wheel = cfg.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
            packages = wheel.get("wheel", {}).get("packages", [])
            modules = tuple(Path(p).name for p in packages)
            members[name] = Member(name, directory.relative_to(root).as_posix(), modules)
    return members


@cache
def lock_packages(root: Path = REPO_ROOT) -> dict[str, dict[str, Any]]:
    lock = tomllib.loads((root / "uv.lock").read_text())
    return {pkg["name"]: pkg for pkg in lock["package"]}


def workspace_closure(package: str, root: Path = REPO_ROOT) -> set[str]:
    """The package and every workspace member it depends on, transitively (from uv.lock)."""
    packages = lock_packages(root)
    members = workspace_members(root)
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen or name not in members:
            continue
        seen.add(name)
        for dep in packages.get(name, {}).get("dependencies", []):
            todo.append(dep["name"])
    return seen


# ------------------------------------------------------------------ Dockerfile


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)


def parse_dockerfile(text: str) -> Dockerfile:
    """A small Dockerfile parser: enough for structural checks, no build semantics."""
    logical: list[str] = []
    buffer = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker
        if line.endswith("\\"):
            buffer += line[:-1].rstrip() + " "
            continue
        logical.append((buffer + line).strip())
        buffer = ""
    if buffer.strip():
        logical.append(buffer.strip())

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            parts = args.split()
            parts = [p for p in parts if not p.startswith("--")]
            base = _substitute(parts[0], global_args)
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages and keyword == "ARG":
            key, _, default = args.partition("=")
            global_args[key.strip()] = default.strip()
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, args))
    return Dockerfile(global_args, stages)


def _substitute(value: str, args: Mapping[str, str]) -> str:
    return re.sub(
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), m.group(0)), value
    )


def copy_sources(instruction: Instruction) -> tuple[list[str], str] | None:
    """(sources, destination) of a COPY from the build context; None for COPY --from."""
    if instruction.keyword not in {"COPY", "ADD"}:
        return None
    tokens = shlex.split(instruction.args)
    if any(t.startswith("--from") for t in tokens):
        return None
    tokens = [t for t in tokens if not t.startswith("--")]
    return tokens[:-1], tokens[-1]


def uv_syncs(stage: Stage) -> list[tuple[int, list[str]]]:
    """(instruction index, argv) of each `uv sync` in the stage's RUN instructions."""
    found = []
    for index, instruction in enumerate(stage.instructions):
        if instruction.keyword != "RUN":
            continue
        for command in re.split(r"&&|(?<!\\);", instruction.args):
            argv = shlex.split(command)
            argv = [a for a in argv if not a.startswith("--mount")]
            if argv[:2] == ["uv", "sync"]:
                found.append((index, argv))
    return found


def option_value(argv: list[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


SERVICE_DOCKERFILE = "services/Dockerfile"
# The stages of services/Dockerfile, in the order each needs the one before.
SHARED_STAGES = ("uv", "context", "manifests", "sources", "dependencies", "workspace", "runtime")


def service_package(service: str, root: Path = REPO_ROOT) -> str:
    """The package services/<service>/pyproject.toml defines (what the image installs)."""
    cfg = tomllib.loads((root / "services" / service / "pyproject.toml").read_text())
    return str(cfg["project"]["name"])


def service_directories(root: Path = REPO_ROOT) -> list[str]:
    return sorted(p.parent.name for p in root.glob("services/*/pyproject.toml"))


def stage_cmd(stage: Stage) -> list[str]:
    cmds = [i.args for i in stage.instructions if i.keyword == "CMD"]
    if not cmds:
        return []
    try:
        return [str(a) for a in json.loads(cmds[-1])]
    except ValueError:
        return shlex.split(cmds[-1])


def _copies_from(stage: Stage) -> list[tuple[str, str]]:
    """(source stage, source path) of each COPY --from in the stage."""
    found = []
    for instruction in stage.instructions:
        if instruction.keyword != "COPY":
            continue
        tokens = shlex.split(instruction.args)
        origin = next((t.split("=", 1)[1] for t in tokens if t.startswith("--from=")), None)
        if origin is not None:
            found.append((origin, next(t for t in tokens if not t.startswith("--"))))
    return found


def dockerfile_problems(text: str, root: Path = REPO_ROOT) -> list[str]:
    """services/Dockerfile: pinned bases, the two-layer uv build that finds the workspace
    itself, a non-root runtime, and one target per service directory."""
    problems: list[str] = []
    dockerfile = parse_dockerfile(text)
    if not dockerfile.stages:
        return ["no FROM instruction"]
    python_image = dockerfile.global_args.get("PYTHON_IMAGE", "")
    if not re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm", python_image):
        problems.append(
            f"PYTHON_IMAGE is {python_image!r}, want a pinned python:3.11-slim-bookworm tag"
        )
    uv_image = dockerfile.global_args.get("UV_IMAGE", "")
    if "astral-sh/uv" not in uv_image or parse_version(image_tag(uv_image) or "") is None:
        problems.append(
            f"uv must come from a pinned ghcr.io/astral-sh/uv:X.Y.Z image, got {uv_image!r}"
        )
    for name in SHARED_STAGES:
        if dockerfile.stage(name) is None:
            problems.append(f"stage {name!r} is missing")
    if problems:
        return problems

    manifests = dockerfile.stage("manifests")
    assert manifests is not None
    selection = " ".join(i.args for i in manifests.instructions if i.keyword == "RUN")
    names = set(re.findall(r"-name\s+(\S+)", selection))
    if names != {"pyproject.toml", "uv.lock"}:
        problems.append(f"manifests stage selects {sorted(names)}: only pyproject.toml and uv.lock")

    dependencies = dockerfile.stage("dependencies")
    workspace = dockerfile.stage("workspace")
    assert dependencies is not None and workspace is not None
    if any(copy_sources(i) is not None for i in dependencies.instructions):
        problems.append(
            "dependency layer copies from the build context: only the manifests belong there"
        )
    if ("manifests", "/manifests/") not in _copies_from(dependencies):
        problems.append("dependency layer does not copy the manifests stage")
    layers = [("dependency", dependencies, True), ("workspace", workspace, False)]
    for label, stage, deps_only in layers:
        syncs = uv_syncs(stage)
        if len(syncs) != 1:
            problems.append(f"{label} layer: want one `uv sync`, found {len(syncs)}")
            continue
        argv = syncs[0][1]
        for flag in ("--frozen", "--no-dev"):
            if flag not in argv:
                problems.append(f"{label} `uv sync` lacks {flag}")
        if deps_only and "--no-install-workspace" not in argv:
            problems.append("dependency `uv sync` lacks --no-install-workspace")
        if not deps_only and "--no-install-workspace" in argv:
            problems.append("workspace `uv sync` must install the workspace packages")
        if option_value(argv, "--package") is None:
            problems.append(f"{label} `uv sync` names no --package")
    env_text = " ".join(i.args for i in dependencies.instructions if i.keyword == "ENV")
    for setting in ("UV_COMPILE_BYTECODE=1", "UV_LINK_MODE=copy"):
        if setting not in env_text:
            problems.append(f"builder does not set {setting}")

    runtime = dockerfile.stage("runtime")
    assert runtime is not None
    if runtime.base != python_image:
        problems.append(f"runtime stage is FROM {runtime.base!r}, want ${{PYTHON_IMAGE}}")
    copies = _copies_from(runtime)
    if copies != [("dependencies", "/app/.venv"), ("workspace", "/overlay/")]:
        problems.append(
            f"runtime copies {copies}: want the dependencies' venv, then the workspace layer"
        )
    users = [i.args.strip() for i in runtime.instructions if i.keyword == "USER"]
    if not users:
        problems.append("runtime stage has no USER (runs as root)")
    elif users[-1].split(":", 1)[0] in {"root", "0"}:
        problems.append(f"runtime stage runs as {users[-1]!r}")
    if "/app/.venv/bin" not in " ".join(i.args for i in runtime.instructions if i.keyword == "ENV"):
        problems.append("runtime PATH does not start with /app/.venv/bin")
    workdirs = [i.args.strip() for i in runtime.instructions if i.keyword == "WORKDIR"]
    if not workdirs or workdirs[-1] != "/app":
        problems.append("runtime WORKDIR is not /app")

    members = workspace_members(root)
    for service in service_directories(root):
        target = dockerfile.stage(service)
        if target is None:
            problems.append(f"no target stage for services/{service}")
            continue
        if target.base != "runtime":
            problems.append(f"target {service} is FROM {target.base!r}, want runtime")
        if any(i.keyword == "USER" for i in target.instructions):
            problems.append(f"target {service} changes USER")
        module = module_of(stage_cmd(target))
        member = members.get(service_package(service, root))
        if module is None or member is None or module.split(".")[0] not in member.modules:
            problems.append(
                f"target {service} runs {stage_cmd(target)}, not a module of its package"
            )
    return problems


def dockerignore_patterns(root: Path = REPO_ROOT) -> list[str]:
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def dockerignored(path: str, patterns: Iterable[str]) -> bool:
    """Docker's .dockerignore matching, for plain and `**/` patterns (last match wins)."""
    ignored = False
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if pattern.startswith("**/"):
            tail = pattern[3:]
            hit = any(fnmatch(part, tail) for part in parts) or any(
                fnmatch(prefix, "*/" + tail) or fnmatch(prefix, tail) for prefix in prefixes
            )
        else:
            hit = any(fnmatch(prefix, pattern) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


# --------------------------------------------------------------------- compose


def compose_problems(doc: Mapping[str, Any], root: Path = REPO_ROOT) -> list[str]:
    problems: list[str] = []
    svcs = services(doc)

    for name in ("redis", "localstack", "otel-collector", "init", "scoring", "worker"):
        if name not in svcs:
            problems.append(f"service {name!r} is missing")
    if problems:
        return problems

    # Start order.
    init_deps = depends_on(svcs["init"])
    for infra in ("redis", "localstack"):
        if init_deps.get(infra) != "service_healthy":
            problems.append(f"init must depend on {infra} with condition service_healthy")
    scoring_deps = depends_on(svcs["scoring"])
    if scoring_deps.get("init") != "service_completed_successfully":
        problems.append("scoring must depend on init with condition service_completed_successfully")
    for infra in ("redis", "localstack"):
        if scoring_deps.get(infra) != "service_healthy":
            problems.append(f"scoring must depend on {infra} with condition service_healthy")
    if not is_one_shot(svcs["init"]):
        problems.append('init is one-shot: restart must be "no"')

    for name, svc in svcs.items():
        for dep, condition in depends_on(svc).items():
            if dep not in svcs:
                problems.append(f"{name} depends on unknown service {dep!r}")
            elif condition == "service_healthy" and not _has_healthcheck(svcs[dep]):
                problems.append(
                    f"{name} waits for {dep} to be healthy, but {dep} has no healthcheck"
                )
            elif condition == "service_completed_successfully" and not is_one_shot(svcs[dep]):
                problems.append(f"{name} waits for {dep} to complete, but {dep} is restarted")

        # Every long-running service proves it is alive.
        if not is_one_shot(svc) and not _has_healthcheck(svc):
            problems.append(f"long-running service {name} has no healthcheck")
        if not is_one_shot(svc) and svc.get("restart") not in {
            "unless-stopped",
            "always",
            "on-failure",
        }:
            problems.append(f"{name} has restart {svc.get('restart')!r}")

        # Only the gateway publishes a port.
        if svc.get("ports") and name != PUBLIC_SERVICE:
            problems.append(f"{name} publishes ports {svc['ports']}: only {PUBLIC_SERVICE} may")

        # Images are pinned.
        image = svc.get("image")
        if image and "build" not in svc:
            tag = image_tag(str(image))
            if tag in {None, "latest"} and "@" not in str(image):
                problems.append(f"{name} image {image!r} is not pinned to a tag")

        problems.extend(_secret_problems(name, svc))
        problems.extend(_address_problems(name, svc, set(svcs)))
        problems.extend(_build_problems(name, svc, root))
        problems.extend(_mount_problems(name, svc, doc, root))

    problems.extend(_localstack_problems(svcs["localstack"]))
    problems.extend(_redis_problems(svcs["redis"]))
    problems.extend(_scoring_problems(svcs["scoring"]))
    problems.extend(_worker_problems(svcs["worker"]))
    problems.extend(_command_problems(svcs, root))
    return problems


def _has_healthcheck(svc: Mapping[str, Any]) -> bool:
    check = svc.get("healthcheck") or {}
    test = check.get("test")
    if check.get("disable") or not test:
        return False
    return command_argv(test)[:1] != ["NONE"]


def _secret_problems(name: str, svc: Mapping[str, Any]) -> list[str]:
    from orgair_config.settings import EXAMPLE_CREDENTIALS

    problems = []
    env = environment(svc)
    for key, value in env.items():
        if not SECRET_NAME.search(key):
            continue
        match = INTERPOLATION.match(value)
        if match is None:
            problems.append(
                f"{name}: {key} has a literal value; interpolate it from the environment"
            )
            continue
        default = match.group("arg") if match.group("op") in {"-", ":-"} else None
        if default and default not in EXAMPLE_CREDENTIALS:
            problems.append(f"{name}: {key} defaults to a non-example secret")
    if "SECRET_KEY" in env:
        match = INTERPOLATION.match(env["SECRET_KEY"])
        if match is None or match.group("op") not in {"?", ":?"}:
            problems.append(f"{name}: SECRET_KEY must be required from .env (${{SECRET_KEY:?...}})")
    for key, value in env.items():
        parts = urlsplit(value) if "://" in value else None
        if parts is not None and parts.password and not parts.password.startswith("$"):
            problems.append(f"{name}: {key} embeds a literal password")
    return problems


def _address_problems(name: str, svc: Mapping[str, Any], names: set[str]) -> list[str]:
    """URLs handed to a container must name compose services, never loopback."""
    problems = []
    for key, value in environment(svc).items():
        if not re.match(r"^(redis|rediss|https?|grpc)://", value):
            continue
        host = urlsplit(value).hostname
        if host in LOOPBACK_HOSTS:
            problems.append(f"{name}: {key}={value} points at the container itself")
        elif host not in names and "." not in (host or ""):
            problems.append(f"{name}: {key} names unknown host {host!r}")
    return problems


def _build_problems(name: str, svc: Mapping[str, Any], root: Path) -> list[str]:
    build = svc.get("build")
    if build is None:
        return []
    if isinstance(build, str):
        build = {"context": build}
    context = root / str(build.get("context", "."))
    if "dockerfile_inline" in build:
        return []
    dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
    if not context.is_dir():
        return [f"{name}: build context {context} does not exist"]
    if not dockerfile.is_file():
        return [f"{name}: Dockerfile {dockerfile.relative_to(root)} does not exist"]
    return []


def _mount_problems(
    name: str, svc: Mapping[str, Any], doc: Mapping[str, Any], root: Path
) -> list[str]:
    problems = []
    declared = set((doc.get("volumes") or {}).keys())
    for volume in svc.get("volumes") or []:
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
        if not source:
            continue
        if source.startswith((".", "/")):
            if not (root / source).exists():
                problems.append(f"{name}: bind mount source {source} does not exist")
        elif source not in declared:
            problems.append(f"{name}: named volume {source!r} is not declared")
    return problems


def _localstack_problems(svc: Mapping[str, Any]) -> list[str]:
    problems = []
    tag = image_tag(str(svc.get("image", ""))) or ""
    version = parse_version(tag)
    if version is None:
        problems.append(f"localstack tag {tag!r} is not an X.Y.Z version")
    elif version > LOCALSTACK_MAX_VERSION:
        problems.append(f"localstack {tag} is newer than 4.14.0 and needs an auth token")
    env = environment(svc)
    if "s3" not in [s.strip() for s in env.get("SERVICES", "").split(",")]:
        problems.append("localstack must enable SERVICES=s3")
    if "S3_BUCKET" not in env:
        problems.append("localstack needs S3_BUCKET for its ready hook")
    targets = [str(v).split(":")[1] for v in svc.get("volumes") or [] if isinstance(v, str)]
    if not any(t.startswith("/etc/localstack/init/ready.d") for t in targets):
        problems.append("localstack does not mount a ready.d hook")
    return problems


def _redis_problems(svc: Mapping[str, Any]) -> list[str]:
    argv = command_argv(svc.get("command"))
    joined = " ".join(argv)
    problems = []
    if "--maxmemory-policy noeviction" not in joined:
        problems.append("redis must run with --maxmemory-policy noeviction (Celery broker)")
    if "--appendonly yes" not in joined:
        problems.append("redis must run with --appendonly yes")
    return problems


def _scoring_problems(svc: Mapping[str, Any]) -> list[str]:
    problems = []
    env = environment(svc)
    if env.get("SCORING_HOST") != "0.0.0.0":
        problems.append("scoring must listen on SCORING_HOST=0.0.0.0 inside its container")
    port = env.get("SCORING_PORT", "8001")
    test = " ".join(command_argv((svc.get("healthcheck") or {}).get("test")))
    if f"127.0.0.1:{port}/readyz" not in test:
        problems.append(f"scoring healthcheck must probe http://127.0.0.1:{port}/readyz")
    if "curl" in test or "wget" in test:
        problems.append("scoring healthcheck uses curl/wget, which the slim image lacks")
    return problems


def _worker_problems(svc: Mapping[str, Any]) -> list[str]:
    """Starts after init and a healthy broker, restarts, and proves liveness by its
    heartbeat file rather than a broker round trip."""
    problems = []
    deps = depends_on(svc)
    if deps.get("init") != "service_completed_successfully":
        problems.append("worker must depend on init with condition service_completed_successfully")
    if deps.get("redis") != "service_healthy":
        problems.append("worker must depend on redis with condition service_healthy")
    if svc.get("restart") != "unless-stopped":
        problems.append("worker must restart unless-stopped")
    test = " ".join(command_argv((svc.get("healthcheck") or {}).get("test")))
    if "orgair_worker healthcheck" not in test:
        problems.append(
            "worker healthcheck must read the heartbeat (python -m orgair_worker healthcheck)"
        )
    if "inspect" in test:
        problems.append("worker healthcheck must not round-trip through the broker (inspect)")
    return problems


def _command_problems(svcs: Mapping[str, Mapping[str, Any]], root: Path) -> list[str]:
    """Each app service is built from services/Dockerfile as its own target (SERVICE and
    target both its name), and runs a module of the package that target installs."""
    problems = []
    members = workspace_members(root)
    dockerfile_path = root / SERVICE_DOCKERFILE
    dockerfile = (
        parse_dockerfile(dockerfile_path.read_text()) if dockerfile_path.is_file() else None
    )
    for name, svc in svcs.items():
        build = svc.get("build")
        if not isinstance(build, dict) or build.get("context") != ".":
            continue  # not built from the repository (the collector's own context)
        if build.get("dockerfile") != SERVICE_DOCKERFILE:
            problems.append(
                f"{name}: built from {build.get('dockerfile')}, want {SERVICE_DOCKERFILE}"
            )
            continue
        service = str((build.get("args") or {}).get("SERVICE", ""))
        if service != name or build.get("target") != name:
            problems.append(
                f"{name}: build SERVICE={service!r} target={build.get('target')!r}, want {name!r} for both"
            )
            continue
        if not (root / "services" / name / "pyproject.toml").is_file():
            problems.append(f"{name}: services/{name}/pyproject.toml does not exist")
            continue
        package = service_package(name, root)
        member = members.get(package)
        argv = command_argv(svc.get("command"))
        module = module_of(argv)
        if module is None:
            problems.append(f"{name}: command {argv} is not `python -m <module>`")
        elif member is None:
            problems.append(f"{name}: image installs {package}, not a workspace member")
        elif module.split(".", 1)[0] not in member.modules:
            problems.append(
                f"{name}: runs module {module} but its image installs {package} "
                f"(modules {list(member.modules)})"
            )
        target = dockerfile.stage(name) if dockerfile else None
        image_cmd = stage_cmd(target) if target else []
        if argv and image_cmd and image_cmd != argv:
            problems.append(
                f"{name}: compose command {argv} differs from the image CMD {image_cmd}"
            )
    return problems


# --------------------------------------------------------------- otel collector


def collector_problems(config: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    receivers = config.get("receivers") or {}
    protocols = ((receivers.get("otlp") or {}).get("protocols")) or {}
    for protocol, port in (("grpc", 4317), ("http", 4318)):
        endpoint = (protocols.get(protocol) or {}).get("endpoint")
        if endpoint != f"0.0.0.0:{port}":
            problems.append(
                f"otlp {protocol} receiver endpoint is {endpoint!r}, want 0.0.0.0:{port}"
            )

    extensions = config.get("extensions") or {}
    service = config.get("service") or {}
    if "health_check" not in extensions:
        problems.append("health_check extension is not configured")
    if "health_check" not in (service.get("extensions") or []):
        problems.append("health_check extension is not enabled in service.extensions")
    elif not str((extensions.get("health_check") or {}).get("endpoint", "")).endswith(":13133"):
        problems.append("health_check extension does not listen on :13133")

    defined = {
        "receivers": set(receivers),
        "processors": set(config.get("processors") or {}),
        "exporters": set(config.get("exporters") or {}),
    }
    if "memory_limiter" not in defined["processors"]:
        problems.append("memory_limiter processor is not configured")
    pipelines = service.get("pipelines") or {}
    for signal in ("traces", "metrics", "logs"):
        if not any(p == signal or p.startswith(signal + "/") for p in pipelines):
            problems.append(f"no {signal} pipeline")
    for pipeline_name, pipeline in pipelines.items():
        pipeline = pipeline or {}
        processors = pipeline.get("processors") or []
        if not processors or processors[0] != "memory_limiter":
            problems.append(f"pipeline {pipeline_name}: memory_limiter must be the first processor")
        if not pipeline.get("exporters"):
            problems.append(f"pipeline {pipeline_name} has no exporters")
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind) or []:
                if component not in defined[kind]:
                    problems.append(
                        f"pipeline {pipeline_name} uses undefined {kind[:-1]} {component!r}"
                    )
    for exporter_name, exporter in (config.get("exporters") or {}).items():
        if "batch" not in ((exporter or {}).get("sending_queue") or {}):
            problems.append(f"exporter {exporter_name} does not batch (sending_queue.batch)")
    return problems
