"""Upload handling for hash-only reference images: bytes stay in memory, never on disk.

Django streams uploads bigger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file. For a
reference image she asked us not to keep, even a temporary file is too much, so its view
uses this handler alone: anything up to the evidence size limit is held in memory, and a
bigger body is refused before a byte of it is stored.
"""

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload


class InMemoryOnlyUploadHandler(MemoryFileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Room for the form fields around the image.
        self.activated = content_length <= settings.EVIDENCE_MAX_UPLOAD_BYTES + 64_000
        if not self.activated:
            raise StopUpload(connection_reset=False)
