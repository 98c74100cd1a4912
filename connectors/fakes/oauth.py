"""OAuth2 token endpoint behaviour shared by the Conta Azul, Bling and TOTVS fakes: Basic client
authentication, refresh-token rotation (the old one dies: invalid_grant on reuse), revocation,
password grant, tokens the server can expire early."""

from __future__ import annotations

import base64
import itertools

from connectors.fakes.server import FakeRequest, Reply


class TokenIssuer:
    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str = "",
                 username: str = "", password: str = "", expires_in: int = 3600) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token, self.username, self.password = refresh_token, username, password
        self.expires_in = expires_in
        self.valid: set[str] = set()
        self.revoked = False
        # False keeps one refresh token forever (demos spanning processes that cannot store it)
        self.rotate = True
        self._ids = itertools.count(1)

    def _client_ok(self, request: FakeRequest, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            user, secret = form.get("client_id", ""), form.get("client_secret", "")
        return (user, secret) == (self.client_id, self.client_secret)

    def token(self, request: FakeRequest, *, require_client: bool = True) -> Reply:
        form = {**request.form(), **{k: v[-1] for k, v in request.query.items()}}
        if require_client and not self._client_ok(request, form):
            return Reply(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if self.revoked or form.get("refresh_token") != self.refresh_token:
                return Reply(400, {"error": "invalid_grant", "error_subtype": "access_revoked",
                                   "error_description": "refresh token invalid or revoked"})
        elif grant == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return Reply(401, {"error": "invalid_grant", "error_description": "bad user or password"})
        elif grant != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type"})
        n = next(self._ids)
        access = f"access-{n}"
        self.valid.add(access)
        if self.rotate or not self.refresh_token:
            self.refresh_token = f"refresh-{n}"
        return Reply(200, {"access_token": access, "refresh_token": self.refresh_token,
                           "expires_in": self.expires_in, "token_type": "Bearer"})

    def authorized(self, request: FakeRequest) -> bool:
        return request.headers.get("authorization", "").removeprefix("Bearer ") in self.valid

    def expire_all(self) -> None:
        self.valid.clear()
