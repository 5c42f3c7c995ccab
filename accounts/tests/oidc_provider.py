"""A small, real OpenID Connect provider for the SSO tests: Authlib's authorization server on Flask,
served over HTTP on 127.0.0.1 from a thread. It does the authorization code flow with PKCE
(required) and a nonce (required), and signs ID tokens with RS256 under a key published at its
JWKS address. It has one client (this site) and no login page: whoever the test names as
`provider.user` has "signed in" there when the browser reaches /authorize.

`provider.tamper` makes it misbehave in one way, to check that the client refuses: "nonce" (an ID
token with another nonce) or "key" (signed by a key that is not in its JWKS)."""

import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "chatsite-test"
CLIENT_SECRET = secrets.token_urlsafe(24)


@dataclass
class Person:
    sub: str
    email: str = ""
    email_verified: bool = False
    preferred_username: str = ""
    name: str = ""


class Client(ClientMixin):
    def __init__(self, redirect_uri):
        self.redirect_uri = redirect_uri

    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    user: Person
    nonce: str
    code_challenge: str
    code_challenge_method: str
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Provider:
    def __init__(self, redirect_uri):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "alg": "RS256"})
        self.client = Client(redirect_uri)
        self.codes: dict[str, Code] = {}
        self.user: Person | None = None
        self.tamper = ""
        self.app = self._app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join()

    def _app(self):
        app = Flask(__name__)
        provider = self
        server = AuthorizationServer(
            app,
            query_client=lambda client_id: provider.client if client_id == CLIENT_ID else None,
            save_token=lambda token, request: None,  # no API behind this provider: tokens are not kept
        )

        class CodeGrant(grants.AuthorizationCodeGrant):
            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    user=request.user,
                    nonce=data.get("nonce", ""),
                    code_challenge=data.get("code_challenge", ""),
                    code_challenge_method=data.get("code_challenge_method", ""),
                )

            def query_authorization_code(self, code, client):
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.other_key if provider.tamper == "key" else provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client):
                return {"iss": provider.url, "aud": [CLIENT_ID], "exp": int(time.time()) + 300}

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.tamper == "nonce":
                    claims["nonce"] = "not-the-nonce-that-was-sent"
                return claims

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub)
                if "email" in scope and user.email:
                    info.update(email=user.email, email_verified=user.email_verified)
                if "profile" in scope:
                    info.update(preferred_username=user.preferred_username, name=user.name)
                return info

        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def metadata():
            return jsonify(
                issuer=provider.url,
                authorization_endpoint=f"{provider.url}/authorize",
                token_endpoint=f"{provider.url}/token",
                jwks_uri=f"{provider.url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            return server.create_authorization_response(grant_user=provider.user)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app
