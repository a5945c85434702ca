"""Rating and colour label in XMP sidecars, merged into what a sidecar already holds.

The XMP goes through python-xmp-toolkit (``libxmp``), a wrapper of Exempi, which is Adobe's XMP
Toolkit: a sidecar is parsed into the XMP data model, ``xmp:Rating`` and ``xmp:Label`` are set, and the
model is serialised again, so every other property (darktable's history, keywords, a foreign
namespace) is kept.  Setting a property replaces its value: running twice gives one rating, not two.

Sidecar names: ``photo.xmp`` (Lightroom, Bridge, Capture One; digiKam with "sidecar file names
compatible with commercial programs") or ``photo.ext.xmp`` (darktable's and digiKam's default).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

SIDECAR_NAMINGS = ("photo.xmp", "photo.ext.xmp")
XMP_NS = "http://ns.adobe.com/xap/1.0/"
# Stars (-1 = rejected, Lightroom's and Bridge's convention) and the labels of the default label set.
VERDICT_MARKS = {"sharp": (4, "Green"), "subject in focus": (3, "Yellow"), "blurred": (1, "Red")}
PICK_RATINGS = {"pick": 5, "reject": -1}
# A burst's shots but its sharpest: a label, not a reject (-1), which some tools bulk-delete; the
# sharpest is not always the moment wanted (eyes, expression), and the rating keeps the verdict.
SIMILAR_LABEL = "Purple"
INSTALL_TOOLKIT = 'pip install torch==2.13.0 -e ".[xmp]"'
INSTALL_EXEMPI = "apt-get install libexempi8 (Debian/Ubuntu) or brew install exempi (macOS)"


class SidecarError(ValueError):
    """A sidecar that cannot be read or merged; the message names the file."""


def marks(verdict: str, pick: str = "", *, similar: bool = False) -> tuple[int, str]:
    """(rating, colour label) for a verdict; a pick or reject sets the rating, the label stays the verdict's
    (``SIMILAR_LABEL`` for a burst's shot that is not its sharpest)."""
    rating, label = VERDICT_MARKS[verdict]
    return PICK_RATINGS.get(pick, rating), SIMILAR_LABEL if similar else label


def sidecar_path(photo: Path, naming: str) -> Path:
    """Where ``photo``'s sidecar is under ``naming`` (one of ``SIDECAR_NAMINGS``)."""
    if naming not in SIDECAR_NAMINGS:
        raise ValueError(f"sidecar naming is one of {SIDECAR_NAMINGS}, not {naming!r}")
    return photo.with_suffix(".xmp") if naming == "photo.xmp" else photo.with_name(photo.name + ".xmp")


def check_library() -> None:
    """Raise ImportError, one line naming what to install, when python-xmp-toolkit or the Exempi C
    library is missing.  ``import libxmp`` alone succeeds without Exempi (libxmp loads it on first
    use), so the library is loaded here, before anything is copied or written."""
    try:
        from libxmp import exempi
    except Exception as exc:
        raise ImportError(f"--xmp needs python-xmp-toolkit: {INSTALL_TOOLKIT} ({exc})") from exc
    try:
        exempi.EXEMPI.xmp_new_empty  # noqa: B018  (the first use loads Exempi: ExempiLoadError or OSError)
    except Exception as exc:
        raise ImportError(f"--xmp needs the Exempi C library: {INSTALL_EXEMPI} ({exc})") from exc


def merged(existing: bytes | None, rating: int, label: str, *, path: Path) -> bytes | None:
    """The sidecar's new bytes with ``rating`` and ``label`` set, or None when it already says so."""
    from libxmp import XMPError, XMPMeta

    meta = XMPMeta()
    if existing is not None:
        try:
            text = existing.decode("utf-8-sig")
            if "xmpmeta" not in text and "rdf:RDF" not in text:
                raise SidecarError(f"{path}: not an XMP sidecar (no x:xmpmeta or rdf:RDF); left as it is")
            meta.parse_from_str(text)
        except (UnicodeDecodeError, XMPError) as exc:
            raise SidecarError(f"{path}: cannot read this XMP sidecar ({exc}); left as it is") from exc
        if _current(meta) == (str(rating), label):
            return None
    meta.set_property(XMP_NS, "Rating", str(rating))
    meta.set_property(XMP_NS, "Label", label)
    return meta.serialize_to_unicode(omit_packet_wrapper=True).encode("utf-8")


def _current(meta) -> tuple[str | None, str | None]:
    def get(name: str) -> str | None:
        return meta.get_property(XMP_NS, name) if meta.does_property_exist(XMP_NS, name) else None

    return get("Rating"), get("Label")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
