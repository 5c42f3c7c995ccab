"""The one rule for URLs that users or their clients give and the server then calls (push
endpoints, outgoing webhooks, link previews): only the allowed schemes, and never this machine or
a private network, which a server inside one could otherwise be made to reach (SSRF).

Every address a name resolves to is checked, so a public name pointing inside the network is
refused too. `post` then connects to the checked address, with the original Host header and TLS
server name, so a DNS answer that changes between the check and the connection (rebinding) can't
steer it elsewhere; it follows no redirect, uses no proxy from the environment and reads the answer
up to a limit. `get` (link previews) follows a few redirects, checking each new URL the same way,
and takes only the media types its caller asks for. Networks listed in OUTBOUND_ALLOWED_NETWORKS
are let through (a bot on the same host, tests); push endpoints may name loopback only where
NOTIFY_PUSH_ALLOW_LOOPBACK says so.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURL(ValueError):
    """The URL is not one the server may call: scheme, host, or an internal address."""


class Unresolved(UnsafeURL):
    """The name does not resolve now: maybe a passing DNS failure, so a caller may try again."""


def host_allowed(host, allowed_hosts) -> bool:
    """`allowed_hosts` holds names ("fcm.googleapis.com") or suffixes (".push.apple.com");
    "*" allows any host (the address checks still apply)."""
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        entry = entry.lower().strip()
        if entry == "*" or host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def _allowed(address, allow_loopback) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net) for net in settings.OUTBOUND_ALLOWED_NETWORKS):
        return True
    if ip.is_loopback:
        return allow_loopback
    # is_global leaves out private, link-local (cloud metadata), shared and reserved ranges.
    return ip.is_global and not ip.is_multicast


def resolved_addresses(host, port) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(f"{host} can't be resolved.") from exc
    return sorted({info[4][0] for info in infos})


def check_url(url, *, schemes=("http", "https"), allowed_hosts=("*",), allow_loopback=False, resolve=True):
    """(parts, port, address to connect to) of a URL the server may call; UnsafeURL otherwise.
    With `resolve` the name's addresses are checked: do it right before calling (a name may have
    moved since it was stored); without it only a literal address is, and the address is None."""
    if not isinstance(url, str) or len(url) > 2000:
        raise UnsafeURL("Give an http or https URL.")
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:
        raise UnsafeURL("That is not a valid URL.") from exc
    if parts.scheme not in schemes or not parts.hostname:
        raise UnsafeURL(f"Give a URL starting with {' or '.join(s + '://' for s in schemes)}.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL may not carry a user name or password.")
    if not host_allowed(parts.hostname, allowed_hosts):
        raise UnsafeURL(f"{parts.hostname} is not an allowed host.")
    try:
        addresses = [str(ipaddress.ip_address(parts.hostname))]
    except ValueError:
        addresses = resolved_addresses(parts.hostname, port) if resolve else []
    if resolve and not addresses:
        raise Unresolved(f"{parts.hostname} can't be resolved.")
    if not all(_allowed(address, allow_loopback) for address in addresses):
        raise UnsafeURL(f"{parts.hostname} is a private or local address.")
    return parts, port, addresses[0] if addresses else None


class Refused(UnsafeURL):
    """The answer is not one the caller takes: too many redirects, a type it did not ask for, too big."""


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str
    url: str  # where the answer came from, after redirects


def _send(method, url, *, content=None, headers, timeout, max_bytes, whole=False, stream_check=None):
    """One request to a checked URL, connected to the address that was checked (no rebinding),
    following no redirect. `stream_check(response)` may refuse it before its body is read; with
    `whole`, a body over max_bytes is refused rather than cut."""
    parts, port, address = check_url(url)
    host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    host_header = parts.hostname if port == DEFAULT_PORTS[parts.scheme] else f"{parts.hostname}:{port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            method, pinned, content=content, headers={**headers, "Host": host_header}, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            if stream_check:
                stream_check(response)
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    if whole:
                        raise Refused(f"The answer is over {max_bytes:,} bytes.")
                    break
        finally:
            response.close()
    return response, body[:max_bytes]


def post(url: str, *, content: bytes, headers: dict, timeout: float, max_bytes: int) -> tuple[int, bytes, str]:
    """POST to a checked URL; (status, the answer's first max_bytes, its content type)."""
    response, body = _send("POST", url, content=content, headers=headers, timeout=timeout, max_bytes=max_bytes)
    return response.status_code, body, response.headers.get("content-type", "")


def get(
    url: str,
    *,
    accept: tuple[str, ...],
    timeout: float = 5,
    max_bytes: int = 1024 * 1024,
    max_redirects: int = 3,
    whole: bool = False,
    headers: dict | None = None,
) -> Answer:
    """GET a checked URL, following at most `max_redirects` redirects, each one checked again as
    the first URL was (a public page may redirect inside the network). An answer whose type is not
    one of `accept` (media types: "text/html", or "image/") raises Refused unread."""
    for _ in range(max_redirects + 1):
        response, body = _send(
            "GET",
            url,
            headers={"Accept": ", ".join(accept), **(headers or {})},
            timeout=timeout,
            max_bytes=max_bytes,
            whole=whole,
            stream_check=lambda r: _check_type(r, accept),
        )
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            continue
        content_type = response.headers.get("content-type", "")
        return Answer(response.status_code, body, content_type, url)
    raise Refused(f"More than {max_redirects} redirects.")


def _check_type(response, accept):
    if response.is_redirect or response.status_code >= 400:
        return
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not any(media_type == a or (a.endswith("/") and media_type.startswith(a)) for a in accept):
        raise Refused(f"The answer is {media_type or 'of no type'}, not {' or '.join(accept)}.")
