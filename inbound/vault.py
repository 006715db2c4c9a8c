"""Inbound mail in storage, always sealed: the only place that writes or reads it.

The same envelope as evidence (evidence/vault/crypto.py): one fresh AES-256 data key per
message, wrapped by the master key of LEAKCASE_MASTER_KEYS; the raw message, each
attachment and each attachment's name sealed under it with AES-GCM, each bound to what it
is (its context), so one sealed blob cannot be passed off as another.
"""

import base64

from django.core.files.base import ContentFile

from evidence.vault import crypto
from inbound.models import InboundAttachment, InboundMessage


def _context(message: InboundMessage, part: str = "") -> str:
    return f"inbound:{message.pk}:{part}" if part else f"inbound:{message.pk}"


def new_key(message: InboundMessage) -> bytes:
    """A fresh data key for the message, wrapped into its row (the caller saves it)."""
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(data_key, context=_context(message))
    message.key_id, message.wrapped_key = wrapped.key_id, wrapped.wrapped
    return data_key


def data_key(message: InboundMessage) -> bytes:
    return crypto.unwrap(
        crypto.WrappedKey(message.key_id, message.wrapped_key), context=_context(message)
    )


def store_raw(message: InboundMessage, raw: bytes, key: bytes) -> None:
    sealed = crypto.seal(raw, key, context=_context(message, "raw"))
    message.raw.save("message.sealed", ContentFile(sealed), save=False)


def read_raw(message: InboundMessage) -> bytes:
    with message.raw.storage.open(message.raw.name, "rb") as handle:
        blob = handle.read()
    return crypto.open_sealed(blob, data_key(message), context=_context(message, "raw"))


def store_attachment(attachment: InboundAttachment, name: str, payload: bytes, key: bytes) -> None:
    message = attachment.message
    context = _context(message, f"attachment:{attachment.pk}")
    attachment.file.save(
        "attachment.sealed", ContentFile(crypto.seal(payload, key, context=context)), save=False
    )
    if name:
        sealed_name = crypto.seal(name.encode(), key, context=context + ":name")
        attachment.name_sealed = base64.b64encode(sealed_name).decode("ascii")


def read_attachment(attachment: InboundAttachment) -> bytes:
    message = attachment.message
    context = _context(message, f"attachment:{attachment.pk}")
    with attachment.file.storage.open(attachment.file.name, "rb") as handle:
        blob = handle.read()
    return crypto.open_sealed(blob, data_key(message), context=context)


def attachment_name(attachment: InboundAttachment) -> str:
    if not attachment.name_sealed:
        return ""
    message = attachment.message
    context = _context(message, f"attachment:{attachment.pk}") + ":name"
    return crypto.open_sealed(
        base64.b64decode(attachment.name_sealed), data_key(message), context=context
    ).decode()


def delete_files(message: InboundMessage, attachments=None) -> None:
    """The sealed copies of a message and its attachments leave storage: a second worker
    lost the race to file the same message, or her erasure took the request it was on."""
    if attachments is None:
        attachments = getattr(message, "_unsaved_attachments", [])
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
    if message.raw.name:
        message.raw.storage.delete(message.raw.name)


def rewrap(message: InboundMessage) -> bool:
    """Re-wrap the data key under the current master key; True if it changed."""
    if message.key_id == crypto.current_key_id():
        return False
    fresh = crypto.rewrap(
        crypto.WrappedKey(message.key_id, message.wrapped_key), context=_context(message)
    )
    message.key_id, message.wrapped_key = fresh.key_id, fresh.wrapped
    return True
