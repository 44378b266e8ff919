"""Benchmark: sealing and opening envelopes (the cryptography alone: no database, no network).

    .venv/bin/python benchmarks/envelope_crypto.py [--seconds 3] [--sizes 1024,65536]

For each payload size: envelopes sealed per second, opened per second, a full seal + open round,
and a whole exchange (seal, open, sign and verify the receipt), per second of CPU time on one
core (the process is pinned to one CPU where the system allows it, and other processes' work does
not count). Also the envelope's size on the wire. Absolute numbers depend on the machine; compare
runs on one machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vinculo.federation.envelope import (  # noqa: E402
    EncryptionKey,
    Header,
    Opened,
    Receipt,
    SigningKey,
    open_envelope,
    seal,
    sign_receipt,
    verify_receipt,
)


def rate(action: Callable[[], object], seconds: float) -> float:
    """Calls of ``action`` per second of this process's CPU time, over about ``seconds`` of CPU time.

    CPU time rather than wall-clock time, so other work on a shared machine does not count
    against the result: this is what one core does when it does nothing else.
    """
    for _ in range(20):
        action()
    count, started = 0, time.process_time()
    while True:
        for _ in range(20):
            action()
        count += 20
        spent = time.process_time() - started
        if spent >= seconds:
            return count / spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--sizes", default="1024,65536", help="payload sizes in bytes, comma-separated")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    print(f"python {sys.version.split()[0]}, one core, rates per CPU second, {args.seconds:g} CPU s per measurement")
    print(f"{'payload':>9} {'envelope':>9} {'seal/s':>8} {'open/s':>8} {'seal+open/s':>12} {'exchange/s':>11}")
    for size in (int(part) for part in args.sizes.split(",")):
        envelope_bytes, sealed, opened, both, exchange = measure(size, args.seconds)
        print(f"{size:>9} {envelope_bytes:>9} {sealed:>8.0f} {opened:>8.0f} {both:>12.0f} {exchange:>11.0f}")
    print("exchange = seal, open, sign the receipt, verify the receipt: all the cryptography of one delivery")


def measure(size: int, seconds: float) -> tuple[int, float, float, float, float]:
    """Envelope size, then per CPU second: seals, opens, seal+open rounds, whole exchanges (with the receipt)."""
    sender, receiver = SigningKey.generate(), EncryptionKey.generate()
    now = int(time.time())
    header = Header(
        id=str(uuid.uuid4()),
        type="request.assistance",
        sender="SV-FGR",
        recipient="GT-MP",
        created_at=now,
        sender_key=sender.thumbprint(),
        recipient_key=receiver.thumbprint(),
        conversation=str(uuid.uuid4()),
        handling=("H2",),
    )
    payload = os.urandom(size)

    def seal_() -> bytes:
        return seal(header, payload, signing_key=sender, recipient_key=receiver.recipient_key)

    def open_(data: bytes) -> Opened:
        return open_envelope(
            data,
            recipient_id="GT-MP",
            recipient_key=receiver,
            sender_keys=lambda member, key_id: sender.verify_key,
            now=now,
            max_bytes=8 << 20,
        )

    def exchange() -> Receipt:
        opened = open_(seal_())
        receipt = sign_receipt(
            message_id=opened.header.id,
            envelope_sha256=opened.sha256,
            received_at=now,
            receiver="GT-MP",
            sender="SV-FGR",
            signing_key=receiver_signing,
        )
        return verify_receipt(receipt, verify_key=receiver_signing.verify_key)

    receiver_signing = SigningKey.generate()
    envelope = seal_()
    if open_(envelope).payload != payload:
        raise SystemExit("the envelope did not open to its payload")
    return (
        len(envelope),
        rate(seal_, seconds),
        rate(lambda: open_(envelope), seconds),
        rate(lambda: open_(seal_()), seconds),
        rate(exchange, seconds),
    )


if __name__ == "__main__":
    main()
