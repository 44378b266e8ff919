"""The office's index: every suspect and victim of the case registry as an encoding, kept current.

A refresh reads what each indexable person's encoding depends on (identity change time, roles,
sex, year of birth, citizenships, the key and scheme) as a short stamp; only people whose stamp
changed are unsealed, normalised and encoded again, and people no longer indexable (their last
indexable role removed) leave the index. The delivery worker refreshes every
``VINCULO_MATCH_INDEX_SECONDS``; ``vinculo matching index refresh`` does it at once.

Each process answering queries keeps a copy of the index in memory (``engine``), rebuilt when
the index's generation moves.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vinculo.cases.models import CaseParty, Person
from vinculo.cases.services.parties import unseal_identity
from vinculo.linkage.encoding import Encoder
from vinculo.linkage.normalise import normalise
from vinculo.matching import records
from vinculo.matching.models import IndexEntry, IndexState, IndexToken
from vinculo.matching.services import keys

log = logging.getLogger(__name__)
BATCH = 500

_encoders: dict[str, Encoder] = {}


def encoder_for(fingerprint: str, key: bytes) -> Encoder:
    """One encoder per key and process (its caches make re-encoding common names cheap)."""
    found = _encoders.get(fingerprint)
    if found is None:
        _encoders.clear()
        found = _encoders[fingerprint] = Encoder(key)
    return found


@dataclass(frozen=True)
class Refresh:
    encoded: int
    removed: int
    total: int
    generation: int


def _sources(office_id: int) -> dict[str, tuple[str, tuple[str, ...], str, int | None, tuple[str, ...]]]:
    """Per indexable person: (identity change time, roles, sex code, year of birth, citizenships), in three queries."""
    roles: dict[str, set[str]] = defaultdict(set)
    for person_id, role in CaseParty.objects.filter(
        person__office_id=office_id, role__code__in=records.INDEXED_ROLES
    ).values_list("person_id", "role__code"):
        roles[str(person_id)].add(role)
    citizenships: dict[str, list[str]] = defaultdict(list)
    through = Person.citizenships.through
    for person_id, country in (
        through.objects.filter(person__office_id=office_id).order_by("pk").values_list("person_id", "country__iso2")
    ):
        citizenships[str(person_id)].append(country)
    sources = {}
    for person_id, changed, sex, year in Person.objects.filter(office_id=office_id).values_list(
        "id", "identity__updated_at", "sex__code", "birth_year"
    ):
        pid = str(person_id)
        if pid in roles:
            sources[pid] = (
                changed.isoformat() if changed else "",
                tuple(sorted(roles[pid])),
                sex or "",
                year,
                tuple(citizenships.get(pid, ())),
            )
    return sources


def _stamp(source: object, fingerprint: str, scheme: str) -> str:
    return hashlib.sha256(repr((source, fingerprint, scheme)).encode()).hexdigest()


def registry_person(
    person_id: str, *, birth_year: int | None, sex_code: str, citizenships: tuple[str, ...]
) -> records.RegistryPerson:
    """A person of the registry as the engine reads them: the identity unsealed (in memory only) and
    the analytic record's year of birth, sex and citizenships (the first one recorded is read as the
    nationality). The index passes what it read for many people at once; see ``registry_person_of``."""
    identity = unseal_identity(person_id)
    return records.RegistryPerson(
        person_id=person_id,
        given_names=identity.given_names,
        first_surname=identity.first_surname,
        second_surname=identity.second_surname,
        birth_date=identity.birth_date,
        birth_year=birth_year,
        sex_code=sex_code,
        citizenships=citizenships,
        document_numbers=identity.document_numbers,
        phones=identity.phones,
        vehicle_plates=identity.vehicle_plates,
    )


def registry_person_of(person: Person) -> records.RegistryPerson:
    """One person of the registry read exactly as the index reads them (a person of a case asked about)."""
    # Citizenships in the order they were recorded, as ``_sources`` reads them (not the countries'
    # own order, by name): the first one is the nationality.
    citizenships = Person.citizenships.through.objects.filter(person_id=person.pk).order_by("pk")
    return registry_person(
        str(person.pk),
        birth_year=person.birth_year,
        sex_code=person.sex.code if person.sex_id else "",
        citizenships=tuple(citizenships.values_list("country__iso2", flat=True)),
    )


def refresh(*, office_id: int, full: bool = False) -> Refresh:
    """Bring the index in line with the registry; ``full`` re-encodes everyone."""
    found = keys.active_key()
    state = IndexState.objects.get_or_create(pk=1)[0]
    if found is None:
        return Refresh(encoded=0, removed=0, total=IndexEntry.objects.count(), generation=state.generation)
    fingerprint, key = found
    encoder = encoder_for(fingerprint, key)
    sources = _sources(office_id)
    held = {
        str(pid): stamp
        for pid, stamp in IndexEntry.objects.filter(person__office_id=office_id).values_list("person_id", "stamp")
    }
    gone = [pid for pid in held if pid not in sources]
    stale = [
        pid for pid, source in sources.items() if full or held.get(pid) != _stamp(source, fingerprint, encoder.scheme)
    ]
    for start in range(0, len(stale), BATCH):
        _encode_batch(stale[start : start + BATCH], sources, encoder, fingerprint)
    if gone:
        IndexEntry.objects.filter(person_id__in=gone).delete()
    with transaction.atomic():
        state = IndexState.objects.select_for_update().get(pk=1)
        if stale or gone:
            state.generation += 1
        state.refreshed_at = timezone.now()
        state.save(update_fields=["generation", "refreshed_at"])
    if stale or gone:
        log.info("match index: %d encoded, %d removed", len(stale), len(gone))
    return Refresh(encoded=len(stale), removed=len(gone), total=len(sources), generation=state.generation)


def _encode_batch(
    person_ids: list[str],
    sources: dict[str, tuple[str, tuple[str, ...], str, int | None, tuple[str, ...]]],
    encoder: Encoder,
    fingerprint: str,
) -> None:
    normalised = []
    for pid in person_ids:
        _changed, _roles, sex_code, birth_year, citizenships = sources[pid]
        person = registry_person(pid, birth_year=birth_year, sex_code=sex_code, citizenships=citizenships)
        normalised.append(normalise(records.raw_person(person)))
    encodings = encoder.encode_many(normalised)
    now = timezone.now()
    with transaction.atomic():
        existing = {str(e.person_id): e for e in IndexEntry.objects.filter(person_id__in=person_ids)}
        for pid, record, encoding in zip(person_ids, normalised, encodings, strict=True):
            is_suspect, is_victim = records.roles_flags(sources[pid][1])
            entry = existing.get(pid) or IndexEntry(person_id=pid)
            entry.scheme, entry.key_fingerprint = encoding.scheme, fingerprint
            entry.bloom, entry.fields = encoding.bloom, int(encoding.fields)
            entry.is_suspect, entry.is_victim = is_suspect, is_victim
            entry.stamp, entry.updated_at = _stamp(sources[pid], fingerprint, encoding.scheme), now
            entry.save()
            IndexToken.objects.filter(entry=entry).delete()
            kinds = {encoder.identifier_token(x): str(x.kind) for x in record.identifiers}
            IndexToken.objects.bulk_create(
                IndexToken(entry=entry, kind=kinds[token], token=token) for token in sorted(encoding.tokens)
            )


def refresh_this_office() -> Refresh | None:
    """The delivery worker's periodic job: refresh the index of this node's office (none at the hub)."""
    from django.conf import settings

    from vinculo.accounts.models import Office

    office = Office.objects.filter(code=settings.NODE_ID, is_hub=False).first()
    if office is None:
        return None
    return refresh(office_id=office.pk)
