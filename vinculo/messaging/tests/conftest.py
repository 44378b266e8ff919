"""A small network in one process: members with real keys, and a switch for which node we are.

Both "nodes" share the test database (their outbox and inbox rows do not collide), and a
delivery goes from the sender's worker straight into the recipient's inbox service, so the
envelopes, receipts and every check are the real ones; only HTTP is left out (tests of real
node processes on loopback cover it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from vinculo.federation.directory_format import Member, Policy, PublishedKey
from vinculo.federation.envelope import EncryptionKey, SigningKey
from vinculo.messaging import network


@dataclass
class Node:
    id: str
    signing: SigningKey = field(default_factory=SigningKey.generate)
    encryption: EncryptionKey = field(default_factory=EncryptionKey.generate)
    status: str = "active"
    old_signing: list[tuple[SigningKey, int | None]] = field(default_factory=list)

    def member(self) -> Member:
        signing = [PublishedKey(self.signing.public_jwk(), self.signing.thumbprint())]
        signing += [PublishedKey(key.public_jwk(), key.thumbprint(), not_after) for key, not_after in self.old_signing]
        return Member(
            id=self.id,
            name_es=self.id,
            name_en=self.id,
            country=self.id[:2],
            endpoint=f"http://{self.id.lower()}.test/",
            status=self.status,
            roles=("office",),
            signing_keys=tuple(signing),
            encryption_keys=(PublishedKey(self.encryption.public_jwk(), self.encryption.thumbprint()),),
        )


class FakeNetwork:
    def __init__(self, *ids: str) -> None:
        self.nodes = {node_id: Node(node_id) for node_id in ids}
        # Which node we are, per thread: a delivery thread of the sender can post to the recipient
        # (and be the recipient for a moment) while another thread is still the sender.
        self._current = threading.local()
        self._first = ids[0]
        self.policy = Policy.default()
        self.evidence: list[tuple[str, str, dict[str, Any]]] = []
        self.available = True

    @property
    def current(self) -> str:
        return str(getattr(self._current, "node", self._first))

    @current.setter
    def current(self, node_id: str) -> None:
        self._current.node = node_id

    @contextlib.contextmanager
    def as_node(self, node_id: str) -> Iterator[Node]:
        before, self.current = self.current, node_id
        try:
            yield self.nodes[node_id]
        finally:
            self.current = before

    def peer(self, member_id: str) -> Member | None:
        if not self.available:
            raise network.NetworkUnavailable("directory_expired", "test: the directory expired")
        node = self.nodes.get(member_id)
        return node.member() if node else None

    def network_policy(self) -> network.Policy:
        if not self.available:
            raise network.NetworkUnavailable("directory_expired", "test: the directory expired")
        return network.Policy(
            max_envelope_bytes=self.policy.max_envelope_bytes,
            replay_window_seconds=self.policy.replay_window_seconds,
            max_delivery_age_seconds=self.policy.max_delivery_age_seconds,
            message_types=frozenset(self.policy.message_types),
        )

    def with_policy(self, **changes: Any) -> None:
        self.policy = replace(self.policy, **changes)

    def post_to_inbox(self, url: str, data: bytes) -> tuple[int, bytes]:
        """Deliver as HTTP would: the recipient named by the URL receives, as itself."""
        import json

        from vinculo.messaging.services import inbox

        recipient = next(node_id for node_id in self.nodes if f"//{node_id.lower()}.test/" in url)
        with self.as_node(recipient):
            try:
                accepted = inbox.receive(data, remote_address="127.0.0.1")
            except inbox.Refused as refused:
                return refused.status, json.dumps({"code": refused.code, "detail": refused.detail}).encode()
        return 200, json.dumps({"receipt": accepted.receipt, "duplicate": accepted.duplicate}).encode()


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch, db: None) -> FakeNetwork:
    fake = FakeNetwork("SV-FGR", "GT-MP", "HN-MP")
    monkeypatch.setattr(network, "node_id", lambda: fake.current)
    monkeypatch.setattr(network, "signing_key", lambda: fake.nodes[fake.current].signing)
    monkeypatch.setattr(network, "encryption_keys", lambda: [fake.nodes[fake.current].encryption])
    monkeypatch.setattr(network, "peer", fake.peer)
    monkeypatch.setattr(network, "policy", fake.network_policy)
    monkeypatch.setattr(network, "peer_and_policy", lambda member_id: (fake.peer(member_id), fake.network_policy()))
    monkeypatch.setattr(network, "evidence", lambda kind, **facts: fake.evidence.append((kind, fake.current, facts)))
    monkeypatch.setattr(
        network, "evidence_many", lambda entries: fake.evidence.extend((k, fake.current, f) for k, f in entries)
    )
    return fake
