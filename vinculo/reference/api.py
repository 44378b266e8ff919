"""Code lists over the API, so national systems send the same codes the registry uses."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from vinculo.api.auth import TOKEN_OR_SESSION
from vinculo.api.schemas import ErrorOut
from vinculo.cases.schemas import CodeOut
from vinculo.reference import selectors

router = Router(tags=["reference"], auth=TOKEN_OR_SESSION)


@router.get("/codelists/{key}", response={200: list[CodeOut], 404: ErrorOut}, summary="The codes of one list")
def code_list(request: HttpRequest, key: str) -> Any:
    selectors.code_list(key)
    return list(selectors.codes_of(key, active_only=False))
