"""The links of a message that get a preview: the first few http(s) URLs of its text."""

import re

LINKS_PER_MESSAGE = 3
URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)
# Sentence punctuation after a link is not part of it ("see https://example.com/a.").
TRAILING = ".,;:!?)]}'\""


def find_links(text: str, limit: int = LINKS_PER_MESSAGE) -> list[str]:
    found = []
    for match in URL.finditer(text or ""):
        url = match.group(0).rstrip(TRAILING)
        if len(url) <= 2000 and url not in found:
            found.append(url)
        if len(found) == limit:
            break
    return found
