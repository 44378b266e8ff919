"""How API callers prove who they are: a bearer token (national systems) or the web session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from vinculo.accounts.services import api_tokens


class TokenAuth(HttpBearer):
    """``Authorization: Bearer vnc_…``: the call acts as the token's account, with its permissions."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_tokens.user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


# Every protected endpoint accepts either (the token first: no CSRF for machine callers).
TOKEN_OR_SESSION = [TokenAuth(), django_auth]
