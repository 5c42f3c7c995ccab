"""The WebSocket protocol, version 1: every frame a client may send or receive, in one place.

Endpoint and authentication
---------------------------
One socket per client at ``/ws/v1/``; it carries every conversation the user belongs to.

- Browser: the session cookie. The ``Origin`` header must be an allowed origin
  (``WEBSOCKET_ALLOWED_ORIGINS``, by default the ``ALLOWED_HOSTS``). A socket without ``Origin``
  never authenticates by cookie, because a page could otherwise borrow the user's session.
- API and mobile clients: the knox token of ``POST /api/v1/auth/login``, either as a subprotocol,
  ``Sec-WebSocket-Protocol: chatsite.v1, token.<TOKEN>`` (the server answers ``chatsite.v1``),
  or in the first frame, ``{"type": "auth", "token": "<TOKEN>"}``, sent within
  ``WS_AUTH_TIMEOUT`` seconds. Never in the URL (URLs end up in logs).

Once authenticated the server sends ``hello``; no frame comes before it. Frames are JSON text, at most
``WS_MAX_FRAME_BYTES`` bytes; binary frames are refused.

Client frames
-------------
Every client frame may carry ``"id"`` (a string of at most 64 characters, or a 64-bit signed
integer). The
server answers a frame with an id by ``ack`` (with its result) or ``error``, under the same id.
A failed frame without id still gets an ``error`` (with ``"id": null``).

========  ======================================================  ===================================
type      fields                                                  ack result
========  ======================================================  ===================================
auth      token                                                   (the hello frame, with the id)
resume    conversations: {conversation id: last seq seen}         {conversations: {id: "replay",
                                                                  "resync" or "not_member"}}
send      conversation_id, client_id, text, parent_id,            {message, created}
          thread_root and attachment_ids (optional)
edit      conversation_id, message_id, text                       {message}
delete    conversation_id, message_id                             {message}
react     conversation_id, message_id, emoji                      {message}
unreact   conversation_id, message_id, emoji                      {message}
typing    conversation_id                                         {expires_in, sent}
read      conversation_id, seq (read up to and including it)      {last_read_seq}
presence  status: "online" or "away"                              {status}
ping                                                              (a pong frame, with the id)
========  ======================================================  ===================================

``send`` is idempotent by ``client_id``: a retry answers the first message with
``created: false``. ``message`` is the REST ``Message`` shape (``chats.serializers``); errors carry
the REST codes (``invalid``, ``not_found``, ``not_member``, ``forbidden``, ``blocked``,
``archived``, ``deleted``, ``rate_limited`` with ``retry_after`` seconds...) plus the socket's own:
``invalid_json``, ``too_deep`` (nested deeper than ``JSON_MAX_DEPTH``), ``unknown_type``, ``too_large``,
``binary_unsupported``, ``already_authenticated``.

Server frames
-------------
- ``hello``: ``{v, user_id, connection, conversations: [ids], heartbeat, resume_grace, limits}``.
- ``ack``: ``{id, result}``; ``error``: ``{id, error: {code, message, fields}, retry_after?}``;
  ``pong``: ``{id}``.
- Conversation events, one per entry of the conversation's log, each
  ``{type, conversation_id, seq, actor_id, created_at, data, message}`` (the REST ``Event`` shape)
  with type ``message.created``, ``message.edited``, ``message.deleted``, ``message.pinned``,
  ``message.previewed`` (the message's link previews, found or removed), ``reaction.added``,
  ``reaction.removed``, ``member.joined``, ``member.left``,
  ``member.role_changed``, ``conversation.updated``, or ``hidden`` (an event of someone you
  blocked: it keeps its seq, so there is no gap, and shows nothing). A thread reply is a message
  like any other, with ``message.thread_root`` set; its ``message.created`` and ``message.deleted``
  carry ``data.thread``: ``{root_id, reply_count, last_reply_at, last_reply_seq}``, the root's new
  summary (a client that ignores threads shows replies as ordinary messages).
- ``resync``: ``{conversation_id, seq, reason}``: the socket cannot replay what you missed
  (``too_far_behind``: more than ``WS_REPLAY_BOUND`` events; ``ahead``: you claimed a seq the
  server does not have; ``already_live``: the conversation went live before your ``resume``). Fetch the
  conversation over REST; events after ``seq`` follow on the socket.
- ``typing``: ``{conversation_id, user_id, expires_in}``; show it for ``expires_in`` seconds
  unless another one comes.
- ``presence``: ``{users: {user id: "online" | "away" | "offline"}}``: once after ``hello`` for the
  people you share a conversation with who are not offline, then on every change.
- ``read``: ``{conversation_id, user_id, seq}``: a member read up to ``seq``.
- ``user``: ``{user_id}``: the profile of someone you share a conversation with (or your own)
  changed, e.g. a new name or picture; fetch ``GET /api/v1/users/<user_id>`` again.

Order, gaps and resume
----------------------
Conversation events of one conversation arrive in seq order, each exactly once per socket. The
first frame after ``hello`` decides where they start: ``resume`` replays, for each conversation
named, every event after the given seq from the store, then continues live with no gap and no
duplicate; any other first frame (or ``WS_RESUME_GRACE`` seconds of silence) starts the other
conversations live from that moment. A later ``resume`` replays from the seqs it names, unless
the conversation already went live past that seq on this socket (a ``resume`` that reached the
server after the grace): then it answers ``resync`` with the seq the socket delivered up to, and
the client fetches the rest over REST. A socket never sends one event twice.
A client keeps, per conversation, the last seq it saw, sends it in ``resume`` after every
reconnect, and fetches a conversation over REST after ``resync``. When the user joins a
conversation, its events start at the user's own ``member.joined``; when the user leaves or is
removed, they stop after ``member.left``.

Close codes
-----------
==== ==================================================================================
4401 not authenticated: no credentials, a bad or expired token, or a frame before ``auth``
4403 the ``Origin`` is not allowed
4404 no such endpoint
4408 no ``auth`` frame within ``WS_AUTH_TIMEOUT`` seconds
4409 unsupported protocol version (a subprotocol other than ``chatsite.v1``, or ``/ws/vN/``)
4410 the account was banned or deactivated by a moderator: do not reconnect (login says why)
4429 too many frames, repeatedly: wait a little before reconnecting
4503 the server lost its event bus (e.g. a Redis restart): reconnect with backoff, then resume
4504 the client did not read its frames fast enough: reconnect, then resume
1011 a frame could not be written (a server fault), or the server was too busy to answer the
     transport's keepalive in time: reconnect with backoff, then resume
==== ==================================================================================

Answers a client should expect besides these: ``typing``, ``read`` and the message frames
answer ``not_found`` for a conversation the user cannot see and ``not_member`` for a public
channel they have not joined; while Redis (presence, typing, the fan-out) is unreachable a frame
may be answered by ``unavailable`` with ``retry_after`` (nothing was written: retry), and the
socket is soon closed with 4503. ``server_error`` means a fault of the server itself.
Reconnect with jittered exponential backoff (e.g. 0.5 s doubling up to 30 s), and always resume.
"""

from rest_framework import serializers

from chatsite.api_errors import exception_handler
from chatsite.strict import MAX_ID, StrictSerializer, TextField

VERSION = 1
SUBPROTOCOL = f"chatsite.v{VERSION}"
TOKEN_SUBPROTOCOL_PREFIX = "token."  # noqa: S105 - a prefix, not a secret # nosec B105 - a prefix, not a secret


class Close:
    UNAUTHENTICATED = 4401
    FORBIDDEN_ORIGIN = 4403
    NOT_FOUND = 4404
    AUTH_TIMEOUT = 4408
    UNSUPPORTED_VERSION = 4409
    ACCOUNT_DISABLED = 4410  # banned or deactivated (moderation.actions): reconnecting cannot help
    RATE_LIMITED = 4429
    SERVER_INTERRUPTED = 4503
    TOO_SLOW = 4504
    SERVER_ERROR = 1011  # a frame could not be written: reconnect, then resume


class FrameError(Exception):
    """A client frame the server cannot take; answered by an error frame, the socket stays open."""

    def __init__(self, code, message, fields=None, request_id=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.request_id = request_id


# --- client frames ---


class RequestIdField(serializers.Field):
    default_error_messages = {"invalid": "An id is a string of at most 64 characters, or a 64-bit integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 64:
            self.fail("invalid")
        if isinstance(data, int) and not -MAX_ID - 1 <= data <= MAX_ID:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ClientFrame(StrictSerializer):
    type = serializers.CharField()
    id = RequestIdField(required=False)


class AuthFrame(ClientFrame):
    token = TextField(max_length=256)


class ResumeFrame(ClientFrame):
    conversations = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_ID), allow_empty=True
    )

    def validate_conversations(self, value):
        field = serializers.UUIDField()
        try:
            return {field.to_internal_value(key): seq for key, seq in value.items()}
        except serializers.ValidationError:
            raise serializers.ValidationError("Keys are conversation ids.") from None


class ConversationFrame(ClientFrame):
    conversation_id = serializers.UUIDField()


class SendFrame(ConversationFrame):
    client_id = TextField(max_length=64)
    text = TextField(max_length=100_000, trim_whitespace=False, allow_blank=True)
    parent_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    thread_root = serializers.UUIDField(required=False, allow_null=True, default=None)
    attachment_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=10)


class MessageFrame(ConversationFrame):
    message_id = serializers.UUIDField()


class EditFrame(MessageFrame):
    text = TextField(max_length=100_000, trim_whitespace=False)


class ReactFrame(MessageFrame):
    emoji = TextField(max_length=64, trim_whitespace=False)


class ReadFrame(ConversationFrame):
    seq = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class PresenceFrame(ClientFrame):
    status = serializers.ChoiceField(choices=["online", "away"])


CLIENT_FRAMES = {
    "auth": AuthFrame,
    "resume": ResumeFrame,
    "send": SendFrame,
    "edit": EditFrame,
    "delete": MessageFrame,
    "react": ReactFrame,
    "unreact": ReactFrame,
    "typing": ConversationFrame,
    "read": ReadFrame,
    "presence": PresenceFrame,
    "ping": ClientFrame,
}


# One instance per frame type, shared by every frame: DRF builds a new serializer's fields by
# deep-copying the declared ones (about 0.2 ms of a send frame's 0.28), while run_validation keeps
# nothing on the instance. Frames are parsed on the event loop's thread, one at a time.
_FRAME_VALIDATORS = {kind: frame_class() for kind, frame_class in CLIENT_FRAMES.items()}
_REQUEST_ID = RequestIdField()


def request_id_of(raw):
    """The frame's id if it is a valid one, so that even a refused frame is answered under it."""
    value = raw.get("id") if isinstance(raw, dict) else None
    try:
        return _REQUEST_ID.to_internal_value(value) if value is not None else None
    except serializers.ValidationError:
        return None


def parse(raw):
    """A decoded JSON value -> (type, id, validated fields). Raises FrameError."""
    if not isinstance(raw, dict):
        raise FrameError("invalid", "A frame is a JSON object.")
    request_id = request_id_of(raw)
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise FrameError("invalid", "A frame needs a type.", {"type": ["This field is required."]}, request_id)
    if kind not in CLIENT_FRAMES:
        raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.", {"type": ["Unknown."]}, request_id)
    try:
        data = dict(_FRAME_VALIDATORS[kind].run_validation(raw))
    except serializers.ValidationError as exc:
        body = exception_handler(exc, {}).data["error"]
        raise FrameError(body["code"], body["message"], body["fields"], request_id) from None
    data.pop("type")
    data.pop("id", None)
    return kind, request_id, data


# --- server frames ---


def hello(*, user_id, connection, conversations, heartbeat, resume_grace, limits, request_id=None):
    frame = {
        "type": "hello",
        "v": VERSION,
        "user_id": user_id,
        "connection": connection,
        "conversations": conversations,
        "heartbeat": heartbeat,
        "resume_grace": resume_grace,
        "limits": limits,
    }
    if request_id is not None:
        frame["id"] = request_id
    return frame


def ack(request_id, result):
    return {"type": "ack", "id": request_id, "result": result}


def error_from_exception(request_id, exc):
    """An error frame in the REST error shape, or None for an exception that is a bug."""
    response = exception_handler(exc, {})
    if response is None:
        return None
    body = response.data["error"]
    retry_after = response.headers.get("Retry-After")
    return error(request_id, body["code"], body["message"], body["fields"], int(retry_after) if retry_after else None)


def error(request_id, code, message, fields=None, retry_after=None):
    frame = {"type": "error", "id": request_id, "error": {"code": code, "message": message, "fields": fields or {}}}
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return frame


def pong(request_id):
    return {"type": "pong", "id": request_id}


def resync(conversation_id, seq, reason):
    return {"type": "resync", "conversation_id": str(conversation_id), "seq": seq, "reason": reason}


def typing(conversation_id, user_id, expires_in):
    return {"type": "typing", "conversation_id": str(conversation_id), "user_id": user_id, "expires_in": expires_in}


def presence(statuses):
    return {"type": "presence", "users": {str(user_id): status for user_id, status in statuses.items()}}


def profile(user_id):
    return {"type": "user", "user_id": user_id}


def receipt(conversation_id, user_id, seq):
    return {"type": "read", "conversation_id": str(conversation_id), "user_id": user_id, "seq": seq}
