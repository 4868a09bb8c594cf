#!/bin/sh
# Stand-in for the official redis image's entrypoint, on Debian's Redis: the server
# runs as the redis user in /data, reachable from other containers.
set -eu
if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@"
