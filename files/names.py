"""File names as people see them: a user's name for a file is kept for display and for
Content-Disposition, after making it harmless; it is never a path on the server."""

import re
import unicodedata

from files.sniff import extension_for

MAX_LENGTH = 150
# Path separators, characters Windows refuses, and quotes that would end a header value.
UNSAFE = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]')


def sanitize(name, content_type: str) -> str:
    """A safe display name whose extension says what the bytes are (cat.jpg that is a PDF becomes
    cat.jpg.pdf, so no program opens it as something it is not)."""
    name = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    # Only the last path part: "..\\..\\boot.ini" or "/etc/passwd" keep just their base name.
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        name = "file"
    wanted = extension_for(content_type)
    if wanted and not name.lower().endswith(wanted) and not (wanted == ".jpg" and name.lower().endswith(".jpeg")):
        name += wanted
    if len(name) > MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20]
        name = (stem[: MAX_LENGTH - len(ext) - 1] + "." + ext) if dot and stem else name[:MAX_LENGTH]
    return name
