"""What a page says about itself for a preview: OpenGraph (og:*) and Twitter-card (twitter:*)
tags, falling back to <title> and the description meta tag. Read with the standard library's
tolerant HTML parser; nothing from the page is ever run or rendered as markup."""

import contextlib
from html.parser import HTMLParser
from urllib.parse import urljoin

FIELDS = {
    "title": ("og:title", "twitter:title"),
    "description": ("og:description", "twitter:description", "description"),
    "site_name": ("og:site_name", "twitter:site"),
    "image": ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"),
}
LIMITS = {"title": 300, "description": 1000, "site_name": 100, "image": 2000}


class _MetaParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta, self.title, self._in_title = {}, "", False

    def handle_starttag(self, tag, attrs):
        attrs = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            name = (attrs.get("property") or attrs.get("name") or "").strip().lower()
            if name and "content" in attrs:
                self.meta.setdefault(name, attrs["content"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title and len(self.title) < 1000:
            self.title += data


def read(html: str, page_url: str) -> dict:
    """{title, description, site_name, image}: each a plain string, trimmed, possibly empty; the
    image an absolute URL (still to be checked before it is fetched)."""
    parser = _MetaParser()
    # A page broken beyond what the parser forgives gives what was read before the break.
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(html)
        parser.close()
    found = {}
    for field, names in FIELDS.items():
        value = next((parser.meta[n] for n in names if parser.meta.get(n, "").strip()), "")
        found[field] = " ".join(value.split())[: LIMITS[field]]
    if not found["title"]:
        found["title"] = " ".join(parser.title.split())[: LIMITS["title"]]
    if found["image"]:
        found["image"] = urljoin(page_url, found["image"])
    return found
