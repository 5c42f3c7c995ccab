"""What every input passes through: serializers that refuse what they do not know, text without
control characters, ids that fit a 64-bit column, and JSON no deeper than JSON_MAX_DEPTH.

The REST API and the WebSocket gateway share these, so a rule about input lives once.
"""

import json
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import register_converter
from rest_framework import parsers, serializers, status
from rest_framework.utils import json as drf_json

# --- ids ---

# The largest primary key the database can hold (a signed 64-bit integer). A bigger number can't
# name a row, and SQLite (OverflowError) or PostgreSQL (DataError) would raise on it instead of
# finding nothing.
MAX_ID = 2**63 - 1


def valid_id(value) -> bool:
    """True for an int (not a bool) that can be a primary key: 1 to 2**63 - 1."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class IdField(serializers.IntegerField):
    """A row id in a body or query string: 1 to 2**63 - 1, so a bigger one is a 400, never a 500."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdConverter:
    """`<id:user_id>` in a URL: digits that fit a 64-bit id. Anything else doesn't match the
    route, so it answers 404 like an id that names nothing."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if not valid_id(number):
            raise ValueError("not a 64-bit id")
        return number

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

# How drf-spectacular describes `<id:...>` (SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]).
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}

# --- text ---

# C0 controls and DEL and C1 controls. Tab, line feed and carriage return are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ANYWHERE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, allow_line_breaks: bool = True) -> bool:
    return bool((_CONTROL if allow_line_breaks else _CONTROL_ANYWHERE).search(value))


# Characters that change how the text around them is shown without being seen themselves: the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the marks
# U+200E/U+200F/U+061C, and the zero-width ones. In a name or a title they let one user pass for
# another ("alice" and "al\u200bice") or turn the text around it backwards.
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
_ZERO_WIDTH = {0x200B, 0x200C, 0x2060, 0xFEFF, 0x180E}
_ZWJ = 0x200D


def invisible_characters(value: str) -> list[str]:
    """The format characters of `value` that a name or title may not hold, as U+XXXX strings.

    The zero-width joiner is allowed between two emoji-like symbols, so that 👩‍💻 still works.
    """
    found = []
    for i, char in enumerate(value):
        code = ord(char)
        joins_emoji = (
            code == _ZWJ and 0 < i < len(value) - 1 and _emoji_like(value[i - 1]) and _emoji_like(value[i + 1])
        )
        if code in _BIDI or code in _ZERO_WIDTH or (code == _ZWJ and not joins_emoji):
            found.append(f"U+{code:04X}")
    return found


def _emoji_like(char):
    # Symbols, plus the variation selector and skin tone modifiers that end an emoji.
    return unicodedata.category(char) in ("So", "Sk") or ord(char) == 0xFE0F


def validate_visible_text(value: str) -> None:
    """Django validator for names and titles: no control, bidi or zero-width characters."""
    if has_control_characters(value, allow_line_breaks=False):
        raise ValidationError("Control characters are not allowed here.", code="control_characters")
    found = invisible_characters(value)
    if found:
        raise ValidationError(
            "Invisible formatting characters are not allowed here: %(found)s.",
            code="invisible_characters",
            params={"found": ", ".join(sorted(set(found)))},
        )


# --- serializers ---


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def parse(serializer_class, data, **kwargs):
    """Validated data, or a 400 in the API's error shape."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TextField(serializers.CharField):
    """A CharField that takes only JSON strings (42 is a wrong type, not the text "42") without
    control characters (tab, line feed and carriage return are text; `single_line` refuses those
    too)."""

    default_error_messages = {
        "not_a_string": "Expected a string.",
        "control_characters": "Control characters are not allowed.",
    }

    def __init__(self, *, single_line=False, **kwargs):
        self.single_line = single_line
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if has_control_characters(data, allow_line_breaks=not self.single_line):
            self.fail("control_characters")
        return super().to_internal_value(data)


# --- JSON nesting depth ---


class TooDeep(ValueError):
    """The JSON nests deeper than allowed."""


def max_depth() -> int:
    return getattr(settings, "JSON_MAX_DEPTH", 32)


def check_depth(value, limit: int | None = None) -> None:
    """Raise TooDeep if a parsed JSON value (dicts and lists) nests deeper than `limit`.

    Iterative, so a hostile value can't exhaust the stack here either. A scalar has depth 0,
    `[]` and `{}` depth 1.
    """
    limit = max_depth() if limit is None else limit
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            raise TooDeep(f"JSON nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{]|[\]}]')


def check_text_depth(text: str | bytes, limit: int | None = None) -> None:
    """Raise TooDeep if JSON text nests deeper than `limit`, before it is parsed: the parser itself
    recurses, and 1,000 levels of `[` exhaust its stack (RecursionError). Brackets inside strings
    don't count. Text that doesn't parse is left to the parser to refuse."""
    limit = max_depth() if limit is None else limit
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", errors="replace")
    if text.count("[") + text.count("{") <= limit:
        return  # the common case: too few brackets to nest too deep
    depth = 0
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > limit:
                raise TooDeep(f"JSON nested deeper than {limit} levels")
        elif piece in ("]", "}"):
            depth -= 1


class NotUnicode(ValueError):
    """The JSON holds a string that is not Unicode text: a lone surrogate, such as "\\ud800"."""


def check_unicode(value) -> None:
    """Raise NotUnicode if a string in a parsed JSON value (a key or a value) has a lone
    surrogate. JSON's \\u escapes can spell one; it cannot be encoded as UTF-8, so an answer that
    echoes it (an id) cannot be written and a database refuses to store it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                raise NotUnicode("JSON string with a lone surrogate") from None


def loads(text: str | bytes, limit: int | None = None):
    """json.loads that refuses nesting deeper than `limit` (TooDeep) before parsing, and strings
    that are not Unicode text (NotUnicode) after. For the WebSocket frames and anything else that
    parses JSON from a client."""
    check_text_depth(text, limit)
    value = json.loads(text)
    check_unicode(value)
    return value


def too_deep_error():
    # Imported here: api_errors loads DRF's views, whose settings load this module's parser.
    from chatsite.api_errors import ApiError

    return ApiError(
        "too_deep",
        f"The JSON body is nested more than {max_depth()} levels deep.",
        status.HTTP_400_BAD_REQUEST,
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a cap on nesting depth (400 `too_deep` instead of a RecursionError)
    that refuses strings which are not Unicode text (a lone surrogate: 400, not a database error)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise parsers.ParseError(f"JSON parse error - {exc}") from None
        try:
            check_text_depth(text)
        except TooDeep:
            raise too_deep_error() from None
        try:
            parse_constant = drf_json.strict_constant if self.strict else None
            value = drf_json.loads(text, parse_constant=parse_constant)
            check_unicode(value)  # a lone surrogate would reach the database, which refuses it
            return value
        except RecursionError:
            raise too_deep_error() from None
        except ValueError as exc:
            raise parsers.ParseError(f"JSON parse error - {exc}") from None
