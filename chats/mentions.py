"""@username and @all in message text."""

import re

# A mention starts the text or follows a space or punctuation, never inside an e-mail address.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.-]{1,32})")


def parse(text):
    """(usernames mentioned, lower-cased; whether @all was used)."""
    names = {name.rstrip(".").lower() for name in MENTION.findall(text)}
    everyone = "all" in names
    names.discard("all")
    return names, everyone
