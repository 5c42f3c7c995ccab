"""Local stand-ins for the services notifications talk to, each checking what the real one checks.
Started by the fixtures in conftest.py on 127.0.0.1, with TLS where the real one has it."""

import base64
import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def self_signed(directory):
    """A certificate for 127.0.0.1 and localhost, and its key -> (cert path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chatsite test server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


def verify_es256_jwt(token, public_key):
    """The claims of an ES256 JWT whose signature `public_key` made; raises otherwise."""
    head, body, signature = token.split(".")
    header = json.loads(unb64url(head))
    assert header == {"typ": "JWT", "alg": "ES256"} or header.get("alg") == "ES256", header
    raw = unb64url(signature)
    assert len(raw) == 64, "an ES256 signature is r || s, 64 bytes"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return header, json.loads(unb64url(body))


@dataclass
class Subscription:
    """What a browser keeps for one push subscription: its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def as_json(self):
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


class LocalServer:
    """A threaded HTTP(S) server on 127.0.0.1 whose handler is `self.handle(request)`; answers come
    from `self.answers` (a list of (status, headers, body), one used per request, the last kept)."""

    def __init__(self, cert=None):
        outer = self
        self.requests = []
        self.problems = []  # what the server refused, for the test to show
        self.answers = [(201, {}, b"")]
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers, reply = outer.dispatch(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def dispatch(self, path, headers, body):
        with self.lock:
            try:
                verdict = self.check(path, headers, body)
            except (AssertionError, InvalidSignature, ValueError, KeyError, http_ece.ECEException) as exc:
                self.problems.append(f"{type(exc).__name__}: {exc}")
                return 400, {}, b'{"error": "refused by the test server"}'
            self.requests.append(verdict)
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            status, headers_out, reply = answer
            return status, headers_out, reply if isinstance(reply, bytes) else json.dumps(reply).encode()

    def check(self, path, headers, body):
        raise NotImplementedError

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebPushServer(LocalServer):
    """A push service: checks the VAPID JWT (RFC 8292) against the key in the header and that key
    against the application server key the browser subscribed with, then decrypts the aes128gcm
    body (RFC 8291) with the subscription's private key."""

    def __init__(self, cert, application_server_key):
        super().__init__(cert)
        self.application_server_key = application_server_key
        self.subscriptions = {}

    def subscribe(self, name="sub"):
        subscription = Subscription(endpoint=f"{self.origin}/push/{name}-{len(self.subscriptions)}")
        self.subscriptions[subscription.endpoint.split(self.origin, 1)[1]] = subscription
        return subscription

    def check(self, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        subscription = self.subscriptions[path]
        scheme, _, params = headers["authorization"].partition(" ")
        assert scheme == "vapid", f"Authorization scheme {scheme!r}"
        parts = dict(part.strip().split("=", 1) for part in params.split(","))
        assert parts["k"] == self.application_server_key, "k is not the key the browser subscribed with"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        _, claims = verify_es256_jwt(parts["t"], public)
        assert claims["aud"] == self.origin, f"aud {claims['aud']!r}"
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600, "exp must be within 24 hours"
        assert claims["sub"].startswith(("mailto:", "https:")), "sub is a mailto: or https: contact"
        assert headers["content-encoding"] == "aes128gcm"
        assert int(headers["ttl"]) >= 0
        plain = http_ece.decrypt(
            body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
        )
        return {
            "path": path,
            "payload": json.loads(plain),
            "topic": headers.get("topic"),
            "urgency": headers.get("urgency"),
            "received_at": time.time(),
        }


def service_account_file(directory, token_uri):
    """A test service account's JSON key, as Google issues one -> (path, its public key)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "chatsite-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "push@chatsite-test.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }
    path = os.path.join(directory, "service-account.json")
    with open(path, "w") as out:
        json.dump(account, out)
    return path, key.public_key()


class FcmServer(LocalServer):
    """Google's OAuth2 token endpoint and FCM's v1 send endpoint: the token exchange checks the
    service account's RS256 assertion; a send checks the bearer token and the v1 message schema."""

    ACCESS_TOKEN = "ya29.test-access-token"

    def __init__(self, cert):
        super().__init__(cert)
        self.public_key = None
        self.token_requests = 0
        self.answers = [(200, {}, {"name": "projects/chatsite-test/messages/1"})]

    def dispatch(self, path, headers, body):
        if path == "/token":
            with self.lock:
                try:
                    return self.exchange(body)
                except (AssertionError, InvalidSignature, ValueError, KeyError) as exc:
                    self.problems.append(f"token: {type(exc).__name__}: {exc}")
                    return 400, {}, b'{"error": "invalid_grant"}'
        return super().dispatch(path, headers, body)

    def exchange(self, body):
        from urllib.parse import parse_qs

        from cryptography.hazmat.primitives.asymmetric import padding

        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        head, claims_part, signature = form["assertion"].split(".")
        assert json.loads(unb64url(head))["alg"] == "RS256"
        self.public_key.verify(
            unb64url(signature), f"{head}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        claims = json.loads(unb64url(claims_part))
        assert claims["aud"] == f"{self.origin}/token" and claims["iss"].endswith(".iam.gserviceaccount.com")
        assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
        assert claims["iat"] - 60 <= time.time() < claims["exp"] <= claims["iat"] + 3600
        self.token_requests += 1
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"access_token": self.ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}).encode(),
        )

    def check(self, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        assert path == "/v1/projects/chatsite-test/messages:send", path
        assert headers["authorization"] == f"Bearer {self.ACCESS_TOKEN}"
        message = json.loads(body)["message"]
        targets = [key for key in ("token", "topic", "condition") if key in message]
        assert targets == ["token"], "a message names exactly one target"
        assert set(message) <= {"token", "notification", "data", "android", "apns", "webpush", "fcm_options", "name"}
        assert set(message.get("notification", {})) <= {"title", "body", "image"}
        assert "notification" in message or message.get("data"), "a message shows something or carries data"
        assert all(isinstance(v, str) for v in message.get("data", {}).values()), "data values are strings"
        android = message.get("android", {})
        assert set(android) <= {"collapse_key", "priority", "ttl", "notification", "data", "restricted_package_name"}
        assert android.get("priority", "normal") in ("normal", "high")
        assert set(android.get("notification", {})) <= {"title", "body", "tag", "notification_count", "channel_id"}
        assert isinstance(android.get("notification", {}).get("notification_count", 0), int)
        assert re.fullmatch(r"\d+(\.\d+)?s", android.get("ttl", "0s"))
        return {"token": message["token"], "message": message}


def apns_key_file(directory):
    """An APNs auth key (.p8: a P-256 key in PKCS#8 PEM) -> (path, its public key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = os.path.join(directory, "AuthKey_TESTKEY123.p8")
    with open(path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path, key.public_key()


class ApnsServer:
    """APNs' provider API: HTTP/2 only (ALPN h2) over TLS. A push is checked as Apple checks it: the
    ES256 provider token (kid, iss, an iat within the hour), apns-topic, apns-push-type and its
    priority, apns-collapse-id (at most 64 bytes), the payload (JSON with an aps dictionary, at
    most 4 KB). Answers come from `answers` as in LocalServer; a refused push is 400 with a reason."""

    def __init__(self, cert, public_key, *, key_id, team_id, topic):
        self.public_key, self.key_id, self.team_id, self.topic = public_key, key_id, team_id, topic
        self.requests, self.problems = [], []
        self.answers = [(200, {}, b"")]
        self.connections = 0
        self.lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert)
        context.set_alpn_protocols(["h2"])
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    @property
    def origin(self):
        return f"https://127.0.0.1:{self.port}"

    def accept(self):
        while not self.closed.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        import h2.config
        import h2.connection
        import h2.events

        try:
            sock = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        with self.lock:
            self.connections += 1
        if sock.selected_alpn_protocol() != "h2":
            with self.lock:
                self.problems.append("the client did not negotiate HTTP/2 (ALPN h2)")
            sock.close()
            return
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams = {}
        try:
            while not self.closed.is_set():
                data = sock.recv(65536)
                if not data:
                    break
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = ({k.decode(): v.decode() for k, v in event.headers}, bytearray())
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id][1].extend(event.data)
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        headers, body = streams.pop(event.stream_id)
                        status, reply = self.dispatch(headers, bytes(body))
                        out = [(":status", str(status)), ("apns-id", headers.get("apns-id", "0" * 36))]
                        if reply:
                            out.append(("content-type", "application/json"))
                        conn.send_headers(event.stream_id, out, end_stream=not reply)
                        if reply:
                            conn.send_data(event.stream_id, reply, end_stream=True)
                sock.sendall(conn.data_to_send())
        except (OSError, ssl.SSLError):
            pass
        finally:
            sock.close()

    def dispatch(self, headers, body):
        with self.lock:
            try:
                verdict = self.check(headers, body)
            except (AssertionError, InvalidSignature, ValueError, KeyError) as exc:
                self.problems.append(f"{type(exc).__name__}: {exc}")
                return 400, json.dumps({"reason": "BadRequest"}).encode()
            self.requests.append(verdict)
            status, _, reply = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return status, reply if isinstance(reply, bytes) else json.dumps(reply).encode()

    def check(self, headers, body):
        assert headers[":method"] == "POST", headers[":method"]
        match = re.fullmatch(r"/3/device/([0-9a-fA-F]{64,200})", headers[":path"])
        assert match, f"path {headers[':path']!r}"
        scheme, _, token = headers["authorization"].partition(" ")
        assert scheme == "bearer", "token authentication: authorization: bearer <provider token>"
        header, claims = verify_es256_jwt(token, self.public_key)
        assert header == {"alg": "ES256", "kid": self.key_id}, header
        assert claims["iss"] == self.team_id, claims
        assert time.time() - 3600 < claims["iat"] <= time.time() + 60, "the provider token is older than an hour"
        assert headers["apns-topic"] == self.topic, headers["apns-topic"]
        push_type = headers["apns-push-type"]
        assert push_type in ("alert", "background"), push_type
        payload = json.loads(body)
        assert len(body) <= 4096 and isinstance(payload["aps"], dict)
        if push_type == "background":
            assert headers.get("apns-priority") == "5", "a background push must have priority 5"
            assert payload["aps"].get("content-available") == 1 and "alert" not in payload["aps"]
        else:
            assert set(payload["aps"]["alert"]) <= {"title", "subtitle", "body"}
        if "apns-collapse-id" in headers:
            assert len(headers["apns-collapse-id"].encode()) <= 64, "apns-collapse-id is at most 64 bytes"
        return {
            "device": match.group(1),
            "push_type": push_type,
            "collapse_id": headers.get("apns-collapse-id"),
            "token": token,
            "payload": payload,
            "received_at": time.time(),
        }

    def close(self):
        self.closed.set()
        self.listener.close()


class TwilioServer(LocalServer):
    """Twilio's Messages API: checks the path (the account), the basic auth (account SID and auth
    token), and the form (To in E.164, From or MessagingServiceSid, a Body of at most 1600
    characters), then answers 201 with the message resource as Twilio does."""

    ACCOUNT_SID = "AC" + "0" * 31 + "1"
    AUTH_TOKEN = "test-auth-token"

    def __init__(self, cert):
        super().__init__(cert)
        self.answers = [(201, {"Content-Type": "application/json"}, {"sid": "SM" + "1" * 32, "status": "queued"})]

    def check(self, path, headers, body):
        from urllib.parse import parse_qs

        headers = {k.lower(): v for k, v in headers.items()}
        assert path == f"/2010-04-01/Accounts/{self.ACCOUNT_SID}/Messages.json", path
        scheme, _, credentials = headers["authorization"].partition(" ")
        assert scheme == "Basic", scheme
        assert base64.b64decode(credentials).decode() == f"{self.ACCOUNT_SID}:{self.AUTH_TOKEN}", "wrong credentials"
        assert headers["content-type"].startswith("application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(body.decode(), strict_parsing=True).items()}
        assert re.fullmatch(r"\+[1-9]\d{6,14}", form["To"]), f"To {form['To']!r}"
        assert ("From" in form) != ("MessagingServiceSid" in form), "exactly one of From, MessagingServiceSid"
        assert 0 < len(form["Body"]) <= 1600
        return {"to": form["To"], "from": form.get("From"), "body": form["Body"], "received_at": time.time()}
