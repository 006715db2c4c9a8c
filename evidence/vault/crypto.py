"""Envelope encryption for evidence at rest.

Each evidence file gets its own random 256-bit data key; its bytes (and its thumbnail and
blurred preview) are sealed with AES-256-GCM under that key before they reach storage. The
data key is stored in the database wrapped (AES-GCM again) by a master key that lives only in
the environment (LEAKCASE_MASTER_KEYS). A stolen disk or bucket holds ciphertext; a stolen
database holds wrapped keys; only both plus the environment open a file.

Rotation: put a new key first in LEAKCASE_MASTER_KEYS, keep the old ones after it, run
`manage.py rotate_evidence_keys`: every data key is re-wrapped under the new master key and
no file is re-encrypted. Then the old key can be dropped.

Authenticated encryption means a wrong key or a changed byte fails with EvidenceKeyError,
never with garbage.
"""

import base64
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"LCE1"  # LeakCase encrypted, format 1: MAGIC | 12-byte nonce | ciphertext+tag
NONCE_BYTES = 12  # 96-bit nonces, random per message (NIST SP 800-38D, 8.2.2)
TAG_BYTES = 16  # AESGCM's tag, appended to the ciphertext


class EvidenceKeyError(Exception):
    """The file or key could not be opened: wrong master key, wrong file, or tampering."""


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    wrapped: str  # base64 of nonce | AES-GCM(master, data key)


def master_keys() -> dict[str, bytes]:
    return settings.EVIDENCE_MASTER_KEYS


def current_key_id() -> str:
    return next(iter(master_keys()))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(data_key: bytes, *, context: str) -> WrappedKey:
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master_keys()[key_id]).encrypt(nonce, data_key, _aad("dek", context))
    return WrappedKey(key_id, base64.b64encode(nonce + sealed).decode("ascii"))


def unwrap(wrapped: WrappedKey, *, context: str) -> bytes:
    try:
        master = master_keys()[wrapped.key_id]
    except KeyError:
        raise EvidenceKeyError(
            f"Master key {wrapped.key_id!r} is not configured (LEAKCASE_MASTER_KEYS)."
        ) from None
    raw = base64.b64decode(wrapped.wrapped)
    try:
        return AESGCM(master).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad("dek", context))
    except InvalidTag:
        raise EvidenceKeyError("The data key does not open with this master key.") from None


def seal(plaintext: bytes, data_key: bytes, *, context: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, _aad("file", context))


def open_sealed(blob: bytes, data_key: bytes, *, context: str) -> bytes:
    if not blob.startswith(MAGIC):
        raise EvidenceKeyError("This is not an encrypted evidence file.")
    body = blob[len(MAGIC) :]
    try:
        return AESGCM(data_key).decrypt(
            body[:NONCE_BYTES], body[NONCE_BYTES:], _aad("file", context)
        )
    except InvalidTag:
        raise EvidenceKeyError(
            "The file does not open with its key (wrong key or altered)."
        ) from None


def open_sealed_pieces(
    pieces: Iterable[bytes], data_key: bytes, *, context: str
) -> Iterator[bytes]:
    """open_sealed for a blob read in pieces: the same format, decrypted as it is read, so
    memory holds one piece whatever the file's size.

    GCM checks its tag only after the last byte: what this yields before then is NOT yet
    authenticated, and EvidenceKeyError comes at the end. A caller that hands plaintext on
    must read the whole blob through it once before handing anything on
    (evidence.vault.stream does)."""
    pieces = iter(pieces)
    head = b""
    while len(head) < len(MAGIC) + NONCE_BYTES:
        piece = next(pieces, None)
        if piece is None:
            break
        head += piece
    if not head.startswith(MAGIC) or len(head) < len(MAGIC) + NONCE_BYTES:
        raise EvidenceKeyError("This is not an encrypted evidence file.")
    nonce = head[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    decryptor = Cipher(algorithms.AES(data_key), modes.GCM(nonce)).decryptor()
    decryptor.authenticate_additional_data(_aad("file", context))
    # The last TAG_BYTES of the blob are the tag, not ciphertext: always hold them back.
    held = head[len(MAGIC) + NONCE_BYTES :]
    for piece in pieces:
        held += piece
        if len(held) > TAG_BYTES:
            yield decryptor.update(held[:-TAG_BYTES])
            held = held[-TAG_BYTES:]
    if len(held) < TAG_BYTES:
        raise EvidenceKeyError("This is not an encrypted evidence file.")
    try:
        yield decryptor.update(held[:-TAG_BYTES]) + decryptor.finalize_with_tag(held[-TAG_BYTES:])
    except InvalidTag:
        raise EvidenceKeyError(
            "The file does not open with its key (wrong key or altered)."
        ) from None


def rewrap(wrapped: WrappedKey, *, context: str) -> WrappedKey:
    return wrap(unwrap(wrapped, context=context), context=context)


def _aad(kind: str, context: str) -> bytes:
    # Binds a sealed blob to what it is: a file's ciphertext cannot be swapped for another's.
    return f"leakcase:{kind}:{context}".encode()
