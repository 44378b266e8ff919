"""Answering a query against this office's index: the in-memory copy and the decision rules.

Each process keeps the index's filters in memory as two ``vinculo.linkage.compare.Index``
(suspects; victims), rebuilt when the index's generation moves (one small query per answer
tells). Identifier tokens stay in the database, looked up by their index. The decision is the
engine's (``vinculo.linkage.classify``), with thresholds for the size of the index searched;
only the decision leaves the node, never a score.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vinculo.linkage import classify
from vinculo.linkage.compare import Index, Match, dice, top_matches
from vinculo.linkage.encoding import FILTER_WORDS, Encoding, Fields
from vinculo.matching.models import IndexEntry, IndexState, IndexToken
from vinculo.messaging import network

TOP_K = 5


@dataclass(frozen=True)
class _Copy:
    generation: int
    suspects: Index
    victims: Index


_lock = threading.Lock()
_copies: dict[str, _Copy] = {}


def _office() -> str:
    """The office whose records answer: this node's (a node holds one office; tests run several in one database)."""
    return network.node_id()


def _build(office: str, generation: int) -> _Copy:
    rows = [
        (pk, scheme, bytes(bloom), fields, suspect, victim)
        for pk, scheme, bloom, fields, suspect, victim in IndexEntry.objects.filter(
            person__office__code=office
        ).values_list("pk", "scheme", "bloom", "fields", "is_suspect", "is_victim")
    ]
    schemes = {row[1] for row in rows}
    scheme = schemes.pop() if len(schemes) == 1 else ""

    def index_of(chosen: list[tuple[int, str, bytes, int, bool, bool]]) -> Index:
        words = np.frombuffer(b"".join(r[2] for r in chosen), dtype="<u8").reshape(-1, FILTER_WORDS)
        return Index(
            scheme,
            words,
            fields=np.array([r[3] for r in chosen], dtype=np.uint8),
            row_ids=np.array([r[0] for r in chosen], dtype=np.int64),
        )

    return _Copy(
        generation=generation,
        suspects=index_of([r for r in rows if r[4] and r[1] == scheme]),
        victims=index_of([r for r in rows if r[5] and r[1] == scheme]),
    )


def current() -> _Copy:
    """This process's copy of the index, rebuilt if the index changed since it was made."""
    office = _office()
    generation = IndexState.objects.filter(pk=1).values_list("generation", flat=True).first() or 0
    copy = _copies.get(office)
    if copy is not None and copy.generation == generation:
        return copy
    with _lock:
        copy = _copies.get(office)
        if copy is None or copy.generation != generation:
            copy = _copies[office] = _build(office, generation)
        return copy


def forget() -> None:
    """Drop this process's copies (tests; after a restore)."""
    _copies.clear()


@dataclass(frozen=True)
class Outcome:
    decision: classify.Decision
    entries: tuple[int, ...]  # index entries at or above "possible", best first


def _allowed(victims: bool) -> dict[str, bool]:
    return {"is_victim": True} if victims else {"is_suspect": True}


def _token_entries(tokens: Iterable[str], victims: bool) -> dict[int, int]:
    shared: dict[int, int] = {}
    for entry_id in IndexToken.objects.filter(
        token__in=list(tokens),
        entry__person__office__code=_office(),
        **{f"entry__{k}": v for k, v in _allowed(victims).items()},
    ).values_list("entry_id", flat=True):
        shared[entry_id] = shared.get(entry_id, 0) + 1
    return shared


def match_identifiers(tokens: Iterable[str], *, victims: bool) -> Outcome:
    """A phone, document or plate query: an exact keyed token held is a hit."""
    shared = _token_entries(tokens, victims)
    if not shared:
        return Outcome(classify.Decision.NO_HIT, ())
    return Outcome(classify.Decision.HIT, tuple(sorted(shared, key=lambda e: (-shared[e], e))))


def match_person(encoding: Encoding, *, victims: bool) -> Outcome:
    """A person query: the filter against the index, and its identifier tokens against the tokens held."""
    copy = current()
    index = copy.victims if victims else copy.suspects
    if index.scheme and encoding.scheme != index.scheme:
        raise ValueError(f"the query's scheme {encoding.scheme} is not the index's {index.scheme}")
    thresholds = thresholds_for_size(index.size)
    matches: dict[int, Match] = {}
    if index.size:
        # down to the scan floor: the decision needs to see a close runner-up below "possible" too
        for match in top_matches(index, encoding.words(), k=TOP_K, threshold=thresholds.scan):
            matches[match.row_id] = match
    shared = _token_entries(encoding.tokens, victims) if encoding.tokens else {}
    if shared:
        for entry_id, bloom, fields in IndexEntry.objects.filter(pk__in=list(shared)).values_list(
            "pk", "bloom", "fields"
        ):
            words = np.frombuffer(bytes(bloom), dtype="<u8")
            score = dice(encoding.words(), words)
            matches[entry_id] = Match(entry_id, score, Fields(fields), shared[entry_id])
    decision = classify.decide(matches.values(), query_fields=encoding.fields, thresholds=thresholds)
    if decision is classify.Decision.NO_HIT:
        return Outcome(decision, ())
    # the records the focal point checks: every candidate at least a possible on its own, best first
    held = [
        match
        for match in matches.values()
        if classify.classify(
            match.score,
            query_fields=encoding.fields,
            record_fields=match.fields,
            shared_tokens=match.shared_tokens,
            thresholds=thresholds,
        )
        is not classify.Decision.NO_HIT
    ]
    held.sort(key=lambda match: (-match.shared_tokens, -match.score, match.row_id))
    return Outcome(decision, tuple(match.row_id for match in held))


def thresholds_for_size(size: int) -> classify.Thresholds:
    """The engine's thresholds for an index of ``size`` records (calibrated on the synthetic sets)."""
    return classify.thresholds_for(max(size, 1))
