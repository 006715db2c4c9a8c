"""Evidence files in storage, always sealed: the only place that writes or reads them."""

import base64

from django.core.files.base import ContentFile

from evidence import crypto
from evidence.models import EvidenceFile

RENDITIONS = ("file", "thumbnail", "preview")
# The file's name on her device ("IMG_2024_with_Jake.jpg") can name her or someone else: it
# is sealed under the file's data key like the renditions, never kept in plaintext.
NAME = "name"


def _context(evidence: EvidenceFile, rendition: str = "") -> str:
    return f"{evidence.pk}:{rendition}" if rendition else str(evidence.pk)


def store(
    evidence: EvidenceFile, contents: dict[str, tuple[str, bytes]], *, original_name: str = ""
) -> None:
    """Seal each rendition under a fresh data key and save it; the caller saves the row.
    contents: rendition -> (file name in storage, plaintext). original_name, the upload's
    own name, is sealed into the row under the same key."""
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(data_key, context=_context(evidence))
    evidence.key_id, evidence.wrapped_key = wrapped.key_id, wrapped.wrapped
    evidence.original_name_sealed = _seal_name(evidence, original_name, data_key)
    for rendition, (name, plaintext) in contents.items():
        sealed = crypto.seal(plaintext, data_key, context=_context(evidence, rendition))
        getattr(evidence, rendition).save(name + ".sealed", ContentFile(sealed), save=False)


def read(evidence: EvidenceFile, rendition: str = "file") -> bytes:
    stored = getattr(evidence, rendition)
    with stored.storage.open(stored.name, "rb") as handle:
        blob = handle.read()
    return crypto.open_sealed(blob, _data_key(evidence), context=_context(evidence, rendition))


def original_name(evidence: EvidenceFile) -> str:
    """The upload's own name, unsealed ("" when none was kept)."""
    if not evidence.original_name_sealed:
        return ""
    sealed = base64.b64decode(evidence.original_name_sealed)
    return crypto.open_sealed(
        sealed, _data_key(evidence), context=_context(evidence, NAME)
    ).decode()


def seal_original_name(evidence: EvidenceFile, name: str) -> None:
    """Seal a name into a row that is already stored (its data key exists); the caller
    saves the row. Used by the migration that sealed the names kept in plaintext before."""
    evidence.original_name_sealed = _seal_name(evidence, name, _data_key(evidence))


def _seal_name(evidence: EvidenceFile, name: str, data_key: bytes) -> str:
    if not name:
        return ""
    sealed = crypto.seal(name.encode(), data_key, context=_context(evidence, NAME))
    return base64.b64encode(sealed).decode("ascii")


def _data_key(evidence: EvidenceFile) -> bytes:
    return crypto.unwrap(
        crypto.WrappedKey(evidence.key_id, evidence.wrapped_key), context=_context(evidence)
    )


def delete_files(evidence: EvidenceFile) -> None:
    for rendition in RENDITIONS:
        stored = getattr(evidence, rendition)
        if stored.name:
            stored.storage.delete(stored.name)


def rewrap(evidence: EvidenceFile) -> bool:
    """Re-wrap the data key under the current master key; True if it changed."""
    if evidence.key_id == crypto.current_key_id():
        return False
    fresh = crypto.rewrap(
        crypto.WrappedKey(evidence.key_id, evidence.wrapped_key), context=_context(evidence)
    )
    evidence.key_id, evidence.wrapped_key = fresh.key_id, fresh.wrapped
    return True
