"""Checks other modules add to requests, so that exchanges need not import them.

The matching module (hit/no-hit) registers two from its ``AppConfig.ready``: a request may cite
only a live hit reference the counterpart gave this office, and an incoming request citing a hit
on this office's records is answered only once the focal point has confirmed that hit.
"""

from __future__ import annotations

from collections.abc import Callable

from vinculo.accounts.models import User

# (who drafts, the requested office, the hit reference cited): raise DomainError to refuse.
CitedHitCheck = Callable[[User, str, str], None]
# (the hit reference an incoming request cites, the office that sent it): raise DomainError to refuse.
AnswerCheck = Callable[[str, str], None]

cited_hit_checks: list[CitedHitCheck] = []
answer_checks: list[AnswerCheck] = []
