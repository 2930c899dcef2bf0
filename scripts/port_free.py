"""Exit 1 with a readable message if HOST:PORT cannot be listened on (stdlib only: runs before install).

``make run`` calls it first, so a busy port is reported at once rather than after the install and
the demo load; ``broker serve`` makes the same check itself (broker.cli.serve.port_problem).

Usage: python3 scripts/port_free.py HOST PORT
"""

from __future__ import annotations

import errno
import socket
import sys


def main(host: str, port_text: str) -> int:
    try:
        port = int(port_text)
    except ValueError:
        print(f"error: PORT must be a number, not {port_text!r}", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                print(
                    f"error: port {port} is in use — stop the other server or run `make run PORT={port + 1}`",
                    file=sys.stderr,
                )
            else:
                print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
