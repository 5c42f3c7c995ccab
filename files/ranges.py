"""HTTP Range requests on downloads (RFC 9110 section 14): one byte range, which is what players
and download managers ask for; several ranges in one request get the whole file (allowed)."""

import re

UNSATISFIABLE = object()
ONE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def requested(header: str, size: int):
    """(start, end) inclusive of a valid single range; None for the whole file (no header, one we
    don't serve in parts, or a malformed one, which the RFC says to ignore); UNSATISFIABLE for a
    range that starts past the end."""
    match = ONE_RANGE.match(header.replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # "bytes=-N": the last N bytes
        length = int(last)
        if length == 0:
            return UNSATISFIABLE
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return start, end
