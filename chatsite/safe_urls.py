"""The one rule for URLs that users or their clients supply and the server then calls (push
endpoints today): https only, a host from an allow-list, and never a private, loopback, link-local
or otherwise internal address, checked on the name's resolved addresses too, so that a public name
pointing inside the network is refused as well.

Tests and the embedded default may allow loopback (a local push server) by setting; production
never does.
"""

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    pass


class Unresolved(UnsafeUrl):
    """The name does not resolve now: maybe a passing DNS failure, so a caller may try again."""


def host_allowed(host, allowed_hosts):
    """`allowed_hosts` holds names ("fcm.googleapis.com") or suffixes (".push.apple.com");
    "*" allows any host (the address checks still apply)."""
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        entry = entry.lower().strip()
        if entry == "*" or host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def _internal(address, allow_loopback):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return not allow_loopback
    return not ip.is_global or ip.is_multicast


def resolved_addresses(host, port):
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Unresolved(f"the host {host} does not resolve") from exc
    return {info[4][0] for info in infos}


def check_outbound_url(url, *, allowed_hosts, allow_loopback=False, resolve=True):
    """Raise UnsafeUrl unless `url` is one the server may call; return its host. With `resolve`
    the name's addresses are checked too: do it right before calling (where a name may have
    moved since it was stored); without it only a literal address is."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise UnsafeUrl("not a valid URL") from exc
    if parts.scheme != "https":
        raise UnsafeUrl("only https URLs are accepted")
    if parts.username or parts.password:
        raise UnsafeUrl("a URL with credentials is not accepted")
    host = parts.hostname or ""
    if not host:
        raise UnsafeUrl("the URL has no host")
    if not host_allowed(host, allowed_hosts):
        raise UnsafeUrl(f"{host} is not a known push service")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = {str(literal)} if literal else (resolved_addresses(host, port) if resolve else set())
    for address in addresses:
        if _internal(address.split("%", 1)[0], allow_loopback):
            raise UnsafeUrl(f"{host} points to an internal address")
    return host
