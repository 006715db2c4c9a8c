"""The one upload handler: every uploaded file is held in memory, never written to disk.

Django's default handlers spool a file bigger than FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) to a
temporary file: a screenshot with its EXIF and GPS block would sit on disk, unencrypted,
before it is stripped and sealed, and a 60 MB upload was written whole before it was refused.
settings.FILE_UPLOAD_HANDLERS names this handler alone, so every upload path (evidence
screenshots, images to find, anything added later) reads through it:

* a file is held in memory up to settings.EVIDENCE_MAX_UPLOAD_BYTES;
* past that, what was held is let go and the rest of the file is dropped as it arrives,
  only counted; the form gets a RefusedUpload (its size, no bytes), which
  evidence.forms.UploadField refuses with the limit named. Django's SkipFile and StopUpload
  would read the same bytes off the connection (to reach the fields after the file and
  answer the browser) but leave the form with no file at all: "This field is required."

How many files one request may carry is DATA_UPLOAD_MAX_NUMBER_FILES (settings), so what a
request can make us hold is bounded; the body as a whole is capped by the reverse proxy
(README, "Uploads").
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class RefusedUpload(UploadedFile):
    """A file that was over the limit: its name and size, none of its bytes."""

    def __init__(self, *, name, size, content_type, charset, content_type_extra):
        super().__init__(
            io.BytesIO(),
            name=name,
            content_type=content_type,
            size=size,
            charset=charset,
            content_type_extra=content_type_extra,
        )


class MemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
        # The most bytes of one file held at any moment in this request: never over the limit.
        self.peak_held = 0

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        # Named `file`: MultiPartParser closes handler.file when a request breaks off.
        self.file = io.BytesIO()
        self.held = 0
        # A length declared for the part (browsers do not send one) already tells.
        self.refused = content_length is not None and content_length > self.limit

    def receive_data_chunk(self, raw_data, start):
        if not self.refused and self.held + len(raw_data) > self.limit:
            self.refused = True
            self.file.close()  # what was held goes now, not at the end of the request
            self.file = io.BytesIO()
        if not self.refused:
            self.file.write(raw_data)
            self.held += len(raw_data)
            self.peak_held = max(self.peak_held, self.held)
        return None  # the only handler: no other sees the bytes

    def file_complete(self, file_size):
        if self.refused:
            return RefusedUpload(
                name=self.file_name,
                size=max(file_size, self.content_length or 0),
                content_type=self.content_type,
                charset=self.charset,
                content_type_extra=self.content_type_extra,
            )
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
