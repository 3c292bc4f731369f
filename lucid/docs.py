"""Build the documentation site and serve it locally: ``python -m lucid.docs``.

Needs the ``docs`` extra (``pip install ".[docs]"``) and a source checkout (the site is
built from its ``docs/`` folder).
"""

import argparse
import functools
import http.server
import subprocess
import sys
from pathlib import Path

_DOCS = Path(__file__).resolve().parent.parent / "docs"


def build(out, strict=True):
    """Run ``sphinx-build`` (``-W`` when ``strict``) from ``docs/`` into ``out``; return its exit status."""
    if not (_DOCS / "conf.py").exists():
        raise FileNotFoundError(f"no docs/conf.py at {_DOCS}: run this from a source checkout of lucid")
    command = [sys.executable, "-m", "sphinx", "-j", "auto", "-b", "html", str(_DOCS), str(out)] + (["-W", "--keep-going"]
                                                                                      if strict else [])
    return subprocess.call(command)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lucid.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(_DOCS / "_build" / "html"), help="output folder (default docs/_build/html)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    parser.add_argument("--no-serve", action="store_true", help="build only")
    args = parser.parse_args(argv)
    status = build(args.out)
    if status or args.no_serve:
        return status
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=args.out)
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {args.out} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
