"""HTTP requests to URLs that users give (outgoing webhooks): never to this machine or a private
network, which a server inside one could otherwise be made to reach (SSRF).

The host is resolved once, every address it has is checked, and the connection goes to the
checked address, with the original Host header and TLS server name: a DNS answer that changes
between the check and the connection (rebinding) can't steer it elsewhere. Redirects are not
followed, proxies from the environment are not used, and the answer is read up to a limit.
Networks listed in OUTBOUND_ALLOWED_NETWORKS are let through (a bot on the same host, tests).
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURL(ValueError):
    """The URL is not http(s), or its host is (or resolves to) a private or local address."""


def _allowed(address) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net) for net in settings.OUTBOUND_ALLOWED_NETWORKS):
        return True
    # is_global leaves out private, loopback, link-local (cloud metadata), shared and reserved ranges.
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> tuple:
    """(parts, port, address to connect to) of a URL that may be requested; UnsafeURL otherwise."""
    if not isinstance(url, str) or len(url) > 2000:
        raise UnsafeURL("Give an http or https URL.")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UnsafeURL("Give an http or https URL.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL may not carry a user name or password.")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError):
        raise UnsafeURL(f"{parts.hostname} can't be resolved.") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses or not all(_allowed(address) for address in addresses):
        raise UnsafeURL(f"{parts.hostname} is a private or local address.")
    return parts, port, addresses[0]


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
