"""Run a rendered project's deploy/ files for real: Gunicorn on a unix socket behind nginx.

Shared by the deploy-config tests, the live stack test and the benchmark (bench/stack.py). The
rendered nginx site is used as shipped; only what must differ on a test machine is substituted:
listen addresses and ports, the socket, file-system paths and the certificate. Every substitution
must match, so a change to the shipped file that would silently dodge one fails loudly instead.
nginx runs in prefix mode (`-p`), so nothing under /etc is read or written.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MIME_TYPES = Path("/etc/nginx/mime.types")

NGINX_CONF = """\
{user}worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;

events {{
    worker_connections 512;
}}

http {{
    include mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log logs/access.log;
    client_body_temp_path tmp/client_body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include {site};
}}
"""


def free_port() -> int:
    """A TCP port free on both 127.0.0.1 and ::1 (the site listens on both)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6) as probe6:
                probe6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port found on 127.0.0.1 and ::1")


def substitute(text: str, pattern: str, replacement: str) -> str:
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if not count:
        raise AssertionError(f"the nginx site no longer contains {pattern!r}")
    return new


@dataclass
class Site:
    """Where a test stack puts everything that differs from a server."""

    root: Path  # a short directory: unix socket paths are limited to about 100 bytes
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)

    @property
    def socket(self) -> Path:
        return self.root / "gunicorn.sock"

    @property
    def prefix(self) -> Path:
        return self.root / "nginx"

    @property
    def certificate(self) -> Path:
        return self.root / "cert.pem"

    @property
    def key(self) -> Path:
        return self.root / "key.pem"

    @property
    def ca(self) -> Path:
        return self.root / "ca.pem"


def site_config(project: Path, site: Site, server_names: str | None = None) -> str:
    """The project's nginx site with only addresses, ports, paths and certificate substituted."""
    slug = project.name
    text = (project / "deploy" / "nginx" / f"{slug}.conf").read_text()
    text = substitute(text, r"listen 80\b", f"listen 127.0.0.1:{site.http_port}")
    text = substitute(text, r"listen \[::\]:80\b", f"listen [::1]:{site.http_port}")
    text = substitute(text, r"listen 443\b", f"listen 127.0.0.1:{site.https_port}")
    text = substitute(text, r"listen \[::\]:443\b", f"listen [::1]:{site.https_port}")
    text = substitute(text, rf"unix:/run/{slug}/gunicorn\.sock", f"unix:{site.socket}")
    text = substitute(text, rf"/srv/{slug}/staticfiles/", f"{project}/staticfiles/")
    text = substitute(text, rf"/srv/{slug}/media/", f"{project}/media/")
    text = substitute(text, r"/var/log/nginx/", f"{site.prefix}/logs/")
    text = substitute(text, r"/var/www/letsencrypt", f"{site.root}/acme")
    text = substitute(text, r"ssl_certificate \S+;", f"ssl_certificate {site.certificate};")
    text = substitute(text, r"ssl_certificate_key \S+;", f"ssl_certificate_key {site.key};")
    if server_names is not None:
        # Only the benchmark: wrk cannot connect to one address while sending another name.
        text = substitute(text, r"server_name (?!_)\S+;", f"server_name {server_names};")
    return text


def write_prefix(project: Path, site: Site, server_names: str | None = None) -> Path:
    """An nginx prefix directory whose conf/nginx.conf includes the project's site."""
    conf = site.prefix / "conf"
    for directory in (conf, site.prefix / "logs", site.prefix / "tmp", site.root / "acme"):
        directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(MIME_TYPES, conf / "mime.types")
    (conf / "site.conf").write_text(site_config(project, site, server_names))
    # Run as root (CI), nginx's workers would drop to `nobody`, who cannot enter pytest's private
    # temporary directories; on a server the site's files are readable by www-data instead.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (conf / "nginx.conf").write_text(NGINX_CONF.format(user=user, site="site.conf"))
    return site.prefix


def nginx_command(site: Site, *extra: str) -> list[str]:
    return [
        "nginx",
        "-p",
        f"{site.prefix}/",
        "-c",
        "conf/nginx.conf",
        "-e",
        "logs/error.log",
        *extra,
    ]


def openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def make_certificate(site: Site, name: str) -> None:
    """A throwaway certificate for `name`, issued by a throwaway CA (site.ca) a client can trust.

    Issued like a public CA's: a leaf that is not a CA, for server authentication, two days long;
    TLS scanners check all of that against their profile.
    """
    root = site.root
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=Keel test CA", "-keyout", str(root / "ca-key.pem"), "-out", str(site.ca),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
        "-keyout", str(site.key), "-out", str(root / "leaf.csr"),
    )  # fmt: skip
    extensions = root / "leaf.ext"
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName=DNS:{name}\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    openssl(
        "x509", "-req", "-in", str(root / "leaf.csr"), "-CA", str(site.ca),
        "-CAkey", str(root / "ca-key.pem"), "-CAcreateserial", "-days", "2", "-sha256",
        "-extfile", str(extensions), "-out", str(site.certificate),
    )  # fmt: skip


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen]:
    """A background process, stopped (SIGTERM, then SIGKILL) when the block ends."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def gunicorn(project: Path, site: Site, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Gunicorn with the project's deploy/gunicorn.conf.py, bound to the site's socket."""
    command = [".venv/bin/gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
    env = {**env, "GUNICORN_BIND": f"unix:{site.socket}"}
    with running(command, project, env, site.root / "gunicorn.log") as process:
        wait_until(
            lambda: site.socket.exists() or process.poll() is not None, 60, "Gunicorn's socket"
        )
        if process.poll() is not None:
            raise RuntimeError(f"Gunicorn exited:\n{(site.root / 'gunicorn.log').read_text()}")
        yield process


@contextmanager
def nginx(site: Site) -> Iterator[subprocess.Popen]:
    command = nginx_command(site, "-g", "daemon off;")
    with running(command, site.prefix, dict(os.environ), site.root / "nginx.log") as process:
        wait_until(lambda: port_open(site.https_port) or process.poll() is not None, 30, "nginx")
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{(site.prefix / 'logs' / 'error.log').read_text()}")
        yield process


def short_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="keel-stack-", dir="/tmp"))


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def one(self, name: str) -> str:
        values = self.all(name)
        if len(values) != 1:
            raise AssertionError(f"{name}: expected exactly one header, got {values}")
        return values[0]


class AddressedConnection(http.client.HTTPConnection):
    """HTTP(S) to `address:port` under any Host header and TLS server name, no DNS needed.

    It reconnects the same way when the server closes a kept-alive connection.
    """

    def __init__(
        self, address: str, port: int, host: str, *, tls: bool, sni: str | None, timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address, self.tls, self.sni = address, tls, sni or host

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), timeout=self.timeout)
        if self.tls:
            context = ssl.create_default_context()
            # The throwaway certificate is self-signed; what is tested is nginx, not the PKI.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            raw = context.wrap_socket(raw, server_hostname=self.sni)
        self.sock = raw


def request(
    port: int,
    path: str,
    *,
    host: str,
    sni: str | None = None,
    tls: bool = True,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10,
    address: str = "127.0.0.1",
) -> Response:
    """One request to address:port with any Host header and TLS server name (no DNS needed)."""
    connection = AddressedConnection(address, port, host, tls=tls, sni=sni, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return Response(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def answers(site: Site, host: str) -> bool:
    """Whether every Gunicorn process has booted far enough to answer a probe through nginx."""
    try:
        return all(request(site.https_port, "/healthz/", host=host).status == 200 for _ in range(8))
    except OSError:
        return False
