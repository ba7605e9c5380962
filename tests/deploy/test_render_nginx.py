"""deploy/render_nginx.py: the nginx template and its placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def test_the_default_rendering_has_the_production_shape(renderer: ModuleType) -> None:
    config = renderer.render_file()
    assert "{{" not in config and "}}" not in config
    upstream = re.search(r"upstream frontends \{(.*?)\}", config, re.S)
    assert upstream is not None
    servers = re.findall(r"^\s*server (\S+);", upstream.group(1), re.M)
    assert servers == [f"127.0.0.1:{port}" for port in range(8000, 8004)]
    for directive in (
        "listen 80;",
        "user www-data;",
        "proxy_next_upstream error;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Scheme $scheme;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "root /var/www;",
        "expires max;",
    ):
        assert directive in config
    assert "ssl_certificate" not in config.replace("# (none", "")


def test_backends_and_tls_are_filled_in(renderer: ModuleType) -> None:
    config = renderer.render_file(
        ["127.0.0.1:9000", "[::1]:9001", "unix:/run/squall.sock"],
        user="", tls_listen="443", tls_cert="/etc/ssl/site.pem", tls_key="/etc/ssl/site.key",
    )
    assert "server 127.0.0.1:9000;" in config
    assert "server [::1]:9001;" in config
    assert "server unix:/run/squall.sock;" in config
    assert "listen 443 ssl;" in config
    assert "ssl_certificate /etc/ssl/site.pem;" in config
    assert "ssl_certificate_key /etc/ssl/site.key;" in config
    assert not re.search(r"^user ", config, re.M)


@pytest.mark.parametrize(
    "backends, values, message",
    [
        ([], {}, "at least one backend"),
        (["127.0.0.1"], {}, "bad backend"),
        (["127.0.0.1:80; evil"], {}, "bad backend"),
        (["127.0.0.1:8000"], {"static_root": "/var/www; autoindex on"}, "unsafe"),
        (["127.0.0.1:8000"], {"listen": "80\n    server_name x"}, "unsafe"),
        (["127.0.0.1:8000"], {"access_log": "/tmp/{x}"}, "unsafe"),
        (["127.0.0.1:8000"], {"pid_file": ""}, "empty"),
        (["127.0.0.1:8000"], {"tls_listen": "443"}, "HTTPS needs all of"),
        (["127.0.0.1:8000"], {"color": "blue"}, "unknown template values: color"),
    ],
)
def test_bad_values_are_refused(
    renderer: ModuleType, backends: list[str], values: dict[str, str], message: str
) -> None:
    with pytest.raises(renderer.RenderError, match=message):
        renderer.render_file(backends, **values)


def test_a_placeholder_without_a_value_is_refused(renderer: ModuleType) -> None:
    with pytest.raises(renderer.RenderError, match="without a value: .'mystery'."):
        renderer.render("listen {{ listen }}; {{ mystery }}")


def test_the_command_line(renderer: ModuleType, tmp_path: Path) -> None:
    script = str(Path(renderer.__file__))
    done = subprocess.run(
        [sys.executable, script, "--backend", "127.0.0.1:7000", "--listen", "8080"],
        capture_output=True, text=True, check=True,
    )
    assert "server 127.0.0.1:7000;" in done.stdout and "listen 8080;" in done.stdout
    bad = subprocess.run(
        [sys.executable, script, "--backend", "nowhere"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "bad backend 'nowhere'" in bad.stderr


def test_nginx_accepts_the_rendered_configuration(
    deploy: Any, nginx_binary: str, renderer: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "temp").mkdir()
    config = renderer.render_file(
        user="", error_log=str(tmp_path / "error.log"), pid_file=str(tmp_path / "nginx.pid"),
        access_log=str(tmp_path / "access.log"), temp_dir=str(tmp_path / "temp"),
        listen=f"127.0.0.1:{deploy.free_port()}",
        static_root=str(tmp_path),
    )
    (tmp_path / "nginx.conf").write_text(config)
    done = subprocess.run(
        [nginx_binary, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
