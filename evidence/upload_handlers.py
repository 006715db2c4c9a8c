"""Upload handling for hash-only reference images: bytes stay in memory, never on disk.

Django streams uploads bigger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file. For a
reference image she asked us not to keep, even a temporary file is too much, so its view
uses this handler alone: anything up to the evidence size limit is held in memory, and the
bytes of a bigger one are dropped as they arrive.
"""

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler


class InMemoryOnlyUploadHandler(MemoryFileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Room for the form fields around the image. When it is too big the handler stays
        # inactive and, being the only handler, lets the file's bytes fall on the floor: the
        # view then finds no file and names the limit.
        self.activated = content_length <= settings.EVIDENCE_MAX_UPLOAD_BYTES + 64_000
