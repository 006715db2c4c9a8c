"""The one opener for images from outside (evidence/image_open.py): every rule is checked on
what the file declares, before a pixel is decoded."""

import pytest

from evidence.demo_images import make_image
from evidence.image_open import (
    MAX_PIXELS,
    ImageRejected,
    ImageTooCostly,
    decode,
    open_image,
)
from tests import images

MANY_SCANS = images.jpeg_with_scans(100)  # made here: making it decodes a picture


def test_a_png_declaring_13300_by_13300_pixels_is_refused_from_its_header(pillow_decodes):
    bomb = images.png_declaring(13_300, 13_300)
    assert len(bomb) < 600_000  # 530 MB of pixels declared in half a megabyte
    with pytest.raises(ImageTooCostly) as refused:
        open_image(bomb)
    assert "13,300 by 13,300 pixels" in str(refused.value)
    assert refused.value.reason == (
        "it declares 13,300 by 13,300 pixels, more than the 50 million we open"
    )
    assert pillow_decodes == []


def test_just_under_the_pixel_limit_is_opened():
    side = int(MAX_PIXELS**0.5)
    image = open_image(images.png_declaring(side, side))
    assert image.size == (side, side)


def test_a_jpeg_of_more_scans_than_any_camera_writes_is_refused_unopened(pillow_decodes):
    with pytest.raises(ImageTooCostly, match="unusual way"):
        open_image(MANY_SCANS)
    assert pillow_decodes == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (images.bmp(), "BMP files are not accepted"),
        (images.NOT_AN_IMAGE, "not an image we can read"),
        (b"", "not an image we can read"),
    ],
    ids=["bmp", "ten-bytes", "empty"],
)
def test_what_is_no_picture_we_read_is_refused_as_such(data, message, pillow_decodes):
    with pytest.raises(ImageRejected, match=message) as refused:
        open_image(data)
    assert not isinstance(refused.value, ImageTooCostly)  # what it is, not what it costs
    assert pillow_decodes == []


def test_a_truncated_image_fails_when_decoded_even_at_reduced_size():
    image = open_image(images.truncated_jpeg())
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        decode(image, draft=(512, 512))


def test_a_jpeg_is_decoded_at_reduced_size_when_asked():
    data = make_image(seed=13, size=(3000, 2000))
    assert decode(open_image(data), draft=(512, 512)).size == (1500, 1000)
    assert decode(open_image(data)).size == (3000, 2000)
