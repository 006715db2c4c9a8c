"""Evidence files in storage, always sealed: the only place that writes or reads them."""

from django.core.files.base import ContentFile

from evidence import crypto
from evidence.models import EvidenceFile

RENDITIONS = ("file", "thumbnail", "preview")


def _context(evidence: EvidenceFile, rendition: str = "") -> str:
    return f"{evidence.pk}:{rendition}" if rendition else str(evidence.pk)


def store(evidence: EvidenceFile, contents: dict[str, tuple[str, bytes]]) -> None:
    """Seal each rendition under a fresh data key and save it; the caller saves the row.
    contents: rendition -> (file name, plaintext)."""
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(data_key, context=_context(evidence))
    evidence.key_id, evidence.wrapped_key = wrapped.key_id, wrapped.wrapped
    for rendition, (name, plaintext) in contents.items():
        sealed = crypto.seal(plaintext, data_key, context=_context(evidence, rendition))
        getattr(evidence, rendition).save(name + ".sealed", ContentFile(sealed), save=False)


def read(evidence: EvidenceFile, rendition: str = "file") -> bytes:
    stored = getattr(evidence, rendition)
    with stored.storage.open(stored.name, "rb") as handle:
        blob = handle.read()
    data_key = crypto.unwrap(
        crypto.WrappedKey(evidence.key_id, evidence.wrapped_key), context=_context(evidence)
    )
    return crypto.open_sealed(blob, data_key, context=_context(evidence, rendition))


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
