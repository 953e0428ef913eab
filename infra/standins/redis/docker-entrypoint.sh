#!/bin/sh
# The upstream redis image is built with protected mode off: in a container, clients
# come over the container network, never from loopback. Debian's redis-server keeps it
# on unless told, so `redis-server ...` (compose.yaml's command) gets the same default.
set -e
if [ "${1:-}" = "redis-server" ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
exec "$@"
