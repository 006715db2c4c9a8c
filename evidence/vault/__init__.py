"""Evidence files in storage, always sealed: the only place that writes or reads them."""

import base64
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy

from evidence.models import EvidenceFile
from evidence.vault import crypto

RENDITIONS = ("file", "thumbnail", "preview")
# The file's name on her device ("IMG_2024_with_Jake.jpg") can name her or someone else: it
# is sealed under the file's data key like the renditions, never kept in plaintext.
NAME = "name"
# Storage is read in pieces of this size by stream(): large enough that the cost per piece
# is nothing beside AES-GCM's, small beside the 200 MB an export of 2 GB may use (issue 13).
STREAM_PIECE_BYTES = 1024 * 1024
# What the people who asked for a file see when its row is here and its object is not
# (deleted from the bucket by hand, a restore without it, a disk lost): nothing they can fix.
MISSING_MESSAGE = gettext_lazy("This file is missing from storage. Please tell an administrator.")


class EvidenceMissing(Exception):
    """The row is here but its object is not in storage (S3 or the folder alike)."""

    def __init__(self, evidence: EvidenceFile, rendition: str):
        super().__init__(f"Evidence file {evidence.pk} ({rendition}) is missing from storage.")
        self.evidence, self.rendition = evidence, rendition


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
    """The plaintext of one rendition. Raises EvidenceMissing when storage has no object."""
    stored = getattr(evidence, rendition)
    try:
        with stored.storage.open(stored.name, "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        raise EvidenceMissing(evidence, rendition) from None
    return crypto.open_sealed(blob, _data_key(evidence), context=_context(evidence, rendition))


def stream(evidence: EvidenceFile, rendition: str = "file") -> Iterator[bytes]:
    """The plaintext of one rendition in pieces, for answers that must not hold whole files
    (bundles and exports): memory holds one piece whatever the file's size.

    GCM authenticates a file only at its end, so the file is read twice: the first pass
    checks the tag over all of it and hands out nothing, the second hands out the pieces. A
    file changed in storage between the two passes still fails at the end of the second,
    with EvidenceKeyError, and the answer being sent is cut short rather than completed.
    An object not in storage raises EvidenceMissing."""
    data_key = _data_key(evidence)
    context = _context(evidence, rendition)
    for _unchecked in crypto.open_sealed_pieces(
        _pieces(evidence, rendition), data_key, context=context
    ):
        pass
    yield from crypto.open_sealed_pieces(_pieces(evidence, rendition), data_key, context=context)


def is_stored(evidence: EvidenceFile, rendition: str = "file") -> bool:
    """Whether storage holds the object (one HEAD request on S3): a bundle asks before it
    starts, so a missing file is named in it rather than cutting it short."""
    stored = getattr(evidence, rendition)
    return bool(stored.name) and stored.storage.exists(stored.name)


def _pieces(evidence: EvidenceFile, rendition: str) -> Iterator[bytes]:
    stored = getattr(evidence, rendition)
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise EvidenceMissing(evidence, rendition) from None
    with handle:
        while piece := handle.read(STREAM_PIECE_BYTES):
            yield piece


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
