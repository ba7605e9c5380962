"""Fill in deploy/nginx.conf: ``python deploy/render_nginx.py [options] > nginx.conf``.

Every ``{{ name }}`` of the template gets a value: the option of that name,
or the production default (nginx on port 80, squall on 127.0.0.1:8000-8003,
static files under /var/www/static). A placeholder without a value, a value
for no placeholder, and a value that could break out of its directive (a
``;``, a brace, a quote or a line break) are errors, never silently passed on.
Only the standard library is used, so this runs with any Python 3.10+.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "nginx.conf")

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Refuse what would end or nest a directive, or quote around it.
_UNSAFE = re.compile(r"[;{}\"'\r\n\\]")
_BACKEND = re.compile(r"unix:/\S+|\[[0-9A-Fa-f:.]+\]:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5}")

DEFAULT_BACKENDS = ("127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003")
DEFAULTS: dict[str, str] = {
    "user": "www-data",
    "worker_processes": "auto",
    "error_log": "/var/log/nginx/error.log",
    "pid_file": "/run/nginx.pid",
    "mime_types": "/etc/nginx/mime.types",
    "access_log": "/var/log/nginx/access.log",
    "temp_dir": "/var/lib/nginx",
    "listen": "80",
    "static_root": "/var/www",
    # HTTPS: all three, or none (plain HTTP only).
    "tls_listen": "",
    "tls_cert": "",
    "tls_key": "",
}
_MAY_BE_EMPTY = frozenset(("user", "tls_listen", "tls_cert", "tls_key"))


class RenderError(ValueError):
    """A value is missing, unknown or unsafe for the nginx template."""


def render(
    template: str, backends: Sequence[str] = DEFAULT_BACKENDS, **values: str
) -> str:
    """Return ``template`` with every placeholder filled in.

    Args:
        template: the text of deploy/nginx.conf.
        backends: squall addresses for the upstream block: ``host:port``,
            ``[ipv6]:port`` or ``unix:/path``.
        **values: the other placeholders (see `DEFAULTS`); ``user=""``
            leaves out the ``user`` directive (nginx not started as root);
            ``tls_listen``, ``tls_cert`` and ``tls_key`` together add an
            HTTPS listener.

    Returns:
        The configuration.

    Raises:
        RenderError: a value is missing, names no placeholder, or is unsafe.
    """
    if not backends:
        raise RenderError("at least one backend is needed")
    for backend in backends:
        if not _BACKEND.fullmatch(backend):
            raise RenderError(
                f"bad backend {backend!r}: write host:port, [ipv6]:port or unix:/path"
            )
    merged = {**DEFAULTS, **values}
    unknown = set(merged) - set(DEFAULTS)
    if unknown:
        raise RenderError(f"unknown template values: {', '.join(sorted(unknown))}")
    for name, value in merged.items():
        if _UNSAFE.search(value) or (not value and name not in _MAY_BE_EMPTY):
            raise RenderError(f"unsafe or empty value for {name}: {value!r}")
    user = merged.pop("user")
    tls = [merged.pop("tls_listen"), merged.pop("tls_cert"), merged.pop("tls_key")]
    if any(tls) and not all(tls):
        raise RenderError("HTTPS needs all of tls_listen, tls_cert and tls_key")
    if all(tls):
        tls_lines = (
            f"        listen {tls[0]} ssl;\n"
            f"        ssl_certificate {tls[1]};\n"
            f"        ssl_certificate_key {tls[2]};"
        )
    else:
        tls_lines = "        # (none: render with --tls-listen, --tls-cert and --tls-key)"
    filled = {
        **merged,
        "tls_lines": tls_lines,
        "user_line": f"user {user};" if user else "# (no user directive: not started as root)",
        "upstream_servers": "\n".join(f"        server {b};" for b in backends),
    }
    missing: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in filled:
            missing.add(name)
            return match.group(0)
        return filled[name]

    text = PLACEHOLDER.sub(substitute, template)
    if missing:
        raise RenderError(f"the template has placeholders without a value: {sorted(missing)}")
    return text


def render_file(backends: Sequence[str] = DEFAULT_BACKENDS, **values: str) -> str:
    """`render` applied to deploy/nginx.conf (arguments as for `render`)."""
    with open(TEMPLATE, encoding="utf-8") as f:
        return render(f.read(), backends, **values)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the rendered configuration; 2 on a bad value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", action="append", default=None, metavar="ADDRESS",
        help="a squall process (host:port or unix:/path); repeat for each "
        "(default: 127.0.0.1:8000 to 8003)",
    )
    for name, default in DEFAULTS.items():
        parser.add_argument("--" + name.replace("_", "-"), default=default,
                            help=f"default: {default}")
    args = parser.parse_args(argv)
    values = {name: getattr(args, name) for name in DEFAULTS}
    try:
        sys.stdout.write(render_file(args.backend or DEFAULT_BACKENDS, **values))
    except RenderError as error:
        print(f"render_nginx: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
