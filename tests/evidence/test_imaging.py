import hashlib
import io

import imagehash
import pytest
from PIL import ExifTags, Image, ImageFilter, ImageStat

from evidence.demo_images import make_image, screenshot_of
from evidence.imaging import ImageRejected, process_upload
from tests import images

LIMIT = 20 * 1024 * 1024


def test_processed_image_has_hashes_of_the_uploaded_bytes_and_of_the_picture():
    data = make_image(seed=1, size=(640, 480))
    result = process_upload(data, max_bytes=LIMIT)
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.original_size == len(data)
    assert (result.width, result.height) == (640, 480)
    assert result.content_type == "image/jpeg"
    reference = Image.open(io.BytesIO(data))
    assert result.phash == str(imagehash.phash(reference))
    assert result.dhash == str(imagehash.dhash(reference))


def test_stored_copy_carries_no_exif_or_gps():
    data = images.jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it had some

    result = process_upload(data, max_bytes=LIMIT)

    stored = Image.open(io.BytesIO(result.clean_bytes))
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in result.clean_bytes
    assert b"TestPhone" not in result.clean_bytes
    for derived in (result.thumbnail_bytes, result.preview_bytes):
        assert b"Exif" not in derived


def test_png_stays_png_and_thumbnails_are_small_jpegs():
    data = screenshot_of(make_image(seed=2), seed=2)
    result = process_upload(data, max_bytes=LIMIT)
    assert result.content_type == "image/png"
    assert result.clean_extension == "png"
    thumb = Image.open(io.BytesIO(result.thumbnail_bytes))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 480


def test_blurred_preview_hides_the_picture():
    data = screenshot_of(make_image(seed=3), seed=3)
    result = process_upload(data, max_bytes=LIMIT)
    preview = Image.open(io.BytesIO(result.preview_bytes)).convert("L")
    original = Image.open(io.BytesIO(data)).convert("L").resize(preview.size)
    # The picture has hard edges (255 between neighbours); the preview has none left, only
    # washes of colour, so no shape or outline can be made out.
    assert _sharpest_edge(original) > 200
    assert _sharpest_edge(preview) < 32


def _sharpest_edge(image):
    edges = image.filter(ImageFilter.FIND_EDGES).crop((2, 2, image.width - 2, image.height - 2))
    return ImageStat.Stat(edges).extrema[0][1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (images.NOT_AN_IMAGE, "not an image"),
        (b"", "empty"),
        (images.decompression_bomb(), "million"),
        (images.truncated_jpeg(), "damaged or incomplete"),
        (images.gif(), "GIF files are not accepted"),
    ],
    ids=["ten-byte-non-image", "empty", "decompression-bomb", "truncated-jpeg", "gif"],
)
def test_refuses_bad_files_with_a_message(data, message):
    with pytest.raises(ImageRejected, match=message):
        process_upload(data, max_bytes=LIMIT)


def test_refuses_a_file_over_the_size_limit():
    data = make_image(seed=4)
    with pytest.raises(ImageRejected, match="limit is"):
        process_upload(data, max_bytes=len(data) - 1)
