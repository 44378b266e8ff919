"""The hub's cross-match: which persons two offices both hold, told to each of them and nothing else."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.tests.factories import open_case
from vinculo.linkage.encoding import FILTER_BYTES
from vinculo.matching import wire
from vinculo.matching.models import CrossmatchNotice, CrossmatchPart, CrossmatchRun, CrossmatchUpload, IndexEntry
from vinculo.matching.services import crossmatch, index
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services.inbox import payload_of
from vinculo.messaging.tests.conftest import FakeNetwork
from vinculo.notifications.models import Notification

from .conftest import HUB, add_person, deliver_all, readable_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def hn_focal_point(db: None) -> User:
    return UserFactory(username="hn.enlace", office_code="HN-MP", roles=[Role.FOCAL_POINT], with_totp=True)


def upload_from(net: FakeNetwork, office: str, by: User) -> None:
    with net.as_node(office):
        index.refresh(office_id=by.office_id)
        crossmatch.upload(by=None)


def test_the_hub_finds_the_person_two_offices_hold_and_tells_only_them(
    mnet: FakeNetwork,
    gt_case: Any,
    gt_prosecutor: User,
    gt_focal_point: User,
    hn_prosecutor: User,
    hn_focal_point: User,
    prosecutor: User,
) -> None:
    hn_case = open_case(hn_prosecutor, "HN-2026-0007")
    # GT holds "José Manuel Hernández López" (1988-04-12); HN wrote him down its own way.
    add_person(hn_prosecutor, hn_case, given_names="Jose M.", first_surname="Hernandez", second_surname="Lopez",
               birth_date="1988-04-12", phones="+504 9912 3456")  # fmt: skip
    add_person(hn_prosecutor, hn_case, given_names="Wilmer", first_surname="Zelaya", second_surname="Aguilar",
               birth_date="1979-01-20")  # fmt: skip
    sv_case = open_case(prosecutor, "FGR-2026-0100")
    add_person(prosecutor, sv_case, given_names="Rosa", first_surname="Martínez", second_surname="Orellana",
               birth_date="1990-05-05", sex="F")  # fmt: skip
    for office, person in (("GT-MP", gt_prosecutor), ("HN-MP", hn_prosecutor), ("SV-FGR", prosecutor)):
        upload_from(mnet, office, person)
    deliver_all(mnet)
    assert sorted(CrossmatchUpload.objects.values_list("member", "count")) == [
        ("GT-MP", 2), ("HN-MP", 2), ("SV-FGR", 1),
    ]  # fmt: skip

    with mnet.as_node(HUB):
        run = crossmatch.run()
    assert (run.records, run.overlaps, run.members) == (5, 1, ["GT-MP", "HN-MP", "SV-FGR"])
    deliver_all(mnet)

    notices = {(n.other_member, n.entry.person.office.code) for n in CrossmatchNotice.objects.select_related("entry")}
    assert notices == {("HN-MP", "GT-MP"), ("GT-MP", "HN-MP")}
    gt_notice = CrossmatchNotice.objects.get(other_member="HN-MP")
    assert gt_notice.entry is not None
    assert gt_notice.entry.person_id == gt_case.parties.get(role__code="SUSPECT").person_id
    assert Notification.objects.filter(user=gt_focal_point, kind="match.crossmatch").count() == 1
    assert Notification.objects.filter(user=hn_focal_point, kind="match.crossmatch").count() == 1
    assert not Notification.objects.filter(kind="match.crossmatch", user__office__code="SV-FGR").exists()
    # what the hub received and sent carries references and office ids only
    for message in InboundMessage.objects.filter(type=wire.CROSSMATCH_NOTICE):
        readable = " ".join(readable_values(json.loads(payload_of(message)))).lower()
        assert "hern" not in readable
        assert "1988" not in readable
    assert CrossmatchRun.objects.count() == 1

    # The next day's uploads carry fresh references: the same person is not a new notice, nobody is
    # told again, and the notice moves on to the newest reference and run.
    for office, person in (("GT-MP", gt_prosecutor), ("HN-MP", hn_prosecutor)):
        upload_from(mnet, office, person)
    deliver_all(mnet)
    with mnet.as_node(HUB):
        assert crossmatch.run().overlaps == 1
    deliver_all(mnet)
    assert CrossmatchNotice.objects.count() == 2
    assert Notification.objects.filter(kind="match.crossmatch").count() == 2
    moved = CrossmatchNotice.objects.get(other_member="HN-MP")
    assert moved.reference != gt_notice.reference
    assert moved.run_at > gt_notice.run_at


def test_fresh_references_each_upload_so_the_hub_cannot_follow_a_person(
    mnet: FakeNetwork,
    gt_case: Any,
    gt_prosecutor: User,
) -> None:
    upload_from(mnet, "GT-MP", gt_prosecutor)
    deliver_all(mnet)
    first = bytes(CrossmatchUpload.objects.get(member="GT-MP").data)
    upload_from(mnet, "GT-MP", gt_prosecutor)
    deliver_all(mnet)
    second = bytes(CrossmatchUpload.objects.get(member="GT-MP").data)
    refs_1, _, filters_1 = wire.unpack_rows(first, count=2)
    refs_2, _, filters_2 = wire.unpack_rows(second, count=2)
    assert filters_1 == filters_2
    assert not set(refs_1) & set(refs_2)


def test_a_large_upload_travels_in_parts_and_replaces_the_last_one_whole(
    mnet: FakeNetwork, gt_case: Any, gt_prosecutor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "ROWS_PER_PART", 1)
    upload_from(mnet, "GT-MP", gt_prosecutor)
    assert InboundMessage.objects.count() == 0
    deliver_all(mnet)
    assert InboundMessage.objects.filter(type=wire.CROSSMATCH_UPLOAD).count() == 2
    assert CrossmatchUpload.objects.get(member="GT-MP").count == 2
    assert not CrossmatchPart.objects.exists()


def test_overlaps_need_a_hit_and_enough_fields_on_both_sides() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, FILTER_BYTES, dtype=np.uint8).tobytes()
    other = rng.integers(0, 256, FILTER_BYTES, dtype=np.uint8).tobytes()
    full, thin = 0b11111, 0b1000  # given + surnames + dates; a year only
    a = wire.pack_rows([(b"a" * 16, full, base), (b"b" * 16, thin, other)])
    b = wire.pack_rows([(b"c" * 16, full, base), (b"d" * 16, full, other)])
    found = crossmatch.find_overlaps({"GT-MP": a, "HN-MP": b}, {"GT-MP": 2, "HN-MP": 2})
    assert [(o.member_a, o.reference_a, o.member_b, o.reference_b, o.decision) for o in found] == [
        ("GT-MP", (b"a" * 16).hex(), "HN-MP", (b"c" * 16).hex(), "hit")
    ]


def test_a_malformed_upload_is_refused() -> None:
    rows = wire.pack_rows([(b"a" * 16, 1, bytes(FILTER_BYTES))])
    with pytest.raises(wire.UnreadablePayload):
        wire.unpack_rows(rows, count=2)
    with pytest.raises(wire.UnreadablePayload):
        wire.unpack_rows(rows[:-1], count=1)
    with pytest.raises(wire.UnreadablePayload):
        wire.unpack_rows(b"XXXX" + rows[4:], count=1)
    twice = wire.pack_rows([(b"a" * 16, 1, bytes(FILTER_BYTES))] * 2)
    with pytest.raises(wire.UnreadablePayload):
        wire.unpack_rows(twice, count=2)
    assert IndexEntry.objects.count() == 0


def test_an_older_upload_completing_late_never_replaces_a_newer_one(db: None) -> None:
    def part(upload: str, made_at: str, rows: int) -> bytes:
        packed = wire.pack_rows([(bytes([i]) * 16, 63, bytes(FILTER_BYTES)) for i in range(rows)])
        return wire.dump(
            wire.UploadPayload(
                scheme="vinculo-bf-2", key="0" * 32, upload=upload, made_at=made_at, part=0, parts=1,
                count=rows, rows=wire.b64(packed),
            )
        )  # fmt: skip

    message = InboundMessage(sender="GT-MP")
    crossmatch.receive_upload(message, part("11111111-1111-4111-8111-111111111111", "2026-11-28T10:00:00+00:00", 3))
    crossmatch.receive_upload(message, part("22222222-2222-4222-8222-222222222222", "2026-11-28T09:00:00+00:00", 5))
    held = CrossmatchUpload.objects.get(member="GT-MP")
    assert held.count == 3
    assert not CrossmatchPart.objects.exists()


def test_large_uploads_are_compared_on_lsh_candidates_and_still_find_the_planted_pairs() -> None:
    from vinculo.matching import blocking

    rng = np.random.default_rng(3)
    size, planted = 3000, 60
    bits = {m: rng.random((size, FILTER_BYTES * 8)) < 0.45 for m in ("GT-MP", "HN-MP")}
    flips = rng.random((planted, FILTER_BYTES * 8)) < 0.06  # Dice about 0.87 on these dense filters
    bits["HN-MP"][:planted] = bits["GT-MP"][:planted] ^ flips
    uploads = {
        m: wire.pack_rows(
            [
                (m[:2].encode() + r.to_bytes(14, "big"), 63, np.packbits(b[r], bitorder="little").tobytes())
                for r in range(size)
            ]
        )
        for m, b in bits.items()
    }
    counts = dict.fromkeys(uploads, size)
    exact = crossmatch.find_overlaps(uploads, counts, exact_pairs=size * size)
    lsh = crossmatch.find_overlaps(uploads, counts, exact_pairs=0, rng=np.random.default_rng(1))
    assert len(exact) == planted
    assert {(o.reference_a, o.reference_b) for o in lsh} == {(o.reference_a, o.reference_b) for o in exact}
    pairs = blocking.candidate_pairs(
        *(blocking.band_keys(np.frombuffer(wire.unpack_rows(uploads[m], count=size)[2], dtype="<u8").reshape(size, -1),
                             blocking.band_positions(np.random.default_rng(1))) for m in ("GT-MP", "HN-MP"))
    )  # fmt: skip
    assert len(pairs) < size * size // 20  # far fewer comparisons than all pairs
