"""A Docker engine of the project's own, for machines that have none running.

The development machines and CI have no Docker engine and reach no image registry,
but Debian's `docker.io` daemon runs there. This package installs it (and the
Compose v2 plugin), starts a daemon with its own data root, exec root, socket and
pidfile, builds every image the stack needs locally (base images from debootstrap,
stand-ins for the images that cannot be pulled, the project's own), and runs
compose.yaml with the stand-ins' override. `make up-local`, `make keys-local`,
`make down` and the real-engine stack test (tests/docker) all go through it.
"""

from orgair_cli.localengine.errors import EngineError

__all__ = ["EngineError"]
