"""The one rule for URLs that users or their clients give and the server then calls (push
endpoints, outgoing webhooks): only the allowed schemes, and never this machine or a private
network, which a server inside one could otherwise be made to reach (SSRF).

Every address a name resolves to is checked, so a public name pointing inside the network is
refused too. `post` then connects to the checked address, with the original Host header and TLS
server name, so a DNS answer that changes between the check and the connection (rebinding) can't
steer it elsewhere; it follows no redirect, uses no proxy from the environment and reads the answer
up to a limit. Networks listed in OUTBOUND_ALLOWED_NETWORKS are let through (a bot on the same
host, tests); push endpoints may name loopback only where NOTIFY_PUSH_ALLOW_LOOPBACK says so.
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

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


def post(url: str, *, content: bytes, headers: dict, timeout: float, max_bytes: int) -> tuple[int, bytes, str]:
    """POST to a checked URL; (status, the answer's first max_bytes, its content type)."""
    parts, port, address = check_url(url)
    host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    host_header = parts.hostname if port == DEFAULT_PORTS[parts.scheme] else f"{parts.hostname}:{port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST", pinned, content=content, headers={**headers, "Host": host_header}, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= max_bytes:
                    break
        finally:
            response.close()
    return response.status_code, body[:max_bytes], response.headers.get("content-type", "")
