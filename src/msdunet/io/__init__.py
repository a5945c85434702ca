"""Files in and out: photos and masks read as they really are (``images``; camera RAW and HEIF/HEIC
through ``formats``), photos found in folders (``listing``), and files written whole (``files``:
temp file + rename).  Every failure to read is an ``ImageReadError`` carrying the path and the
reason in plain words."""

from msdunet.io.images import (
    MASK_THRESHOLD,
    WIDE_GREY_MODES,
    ImageReadError,
    grey_levels,
    image_size,
    read_image,
    read_map,
    read_mask,
    to_rgb,
)
from msdunet.io.listing import (
    PHOTO_EXTENSIONS,
    Found,
    Scan,
    find_images,
    looks_like_image,
    looks_like_photo,
    scan_inputs,
)

__all__ = [
    "MASK_THRESHOLD",
    "PHOTO_EXTENSIONS",
    "WIDE_GREY_MODES",
    "Found",
    "ImageReadError",
    "Scan",
    "find_images",
    "grey_levels",
    "image_size",
    "looks_like_image",
    "looks_like_photo",
    "read_image",
    "read_map",
    "read_mask",
    "scan_inputs",
    "to_rgb",
]
