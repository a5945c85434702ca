"""Blur maps for many files: outputs per image, a CSV/JSON report, and no result lost or mislabelled.

Per image ``<name>_blur.png`` (8-bit map, white = blurred, long side at most ``map_size``: 1600 px
by default, ``None`` the image's own size) and ``<name>_overlay.jpg`` (the photo with blurred regions
tinted blue, long side at most 1600 px),
in the input's own subfolder of OUT (``outputs``).  The report has one row per input, in input
order, written once that input's files are on disk:

path, width, height (the photo's), mean_blur (mean P(blurred)), blurred_fraction (share of pixels with
P ≥ threshold), sharp_fraction, subject_share, subject_x, subject_y, verdict (``msdunet.focus``:
``sharp``, ``subject in focus`` or ``blurred``), ms (network time for this image), error (empty when it worked and its
files are written), output (the map, relative to OUT), reused (an earlier run's map, kept by
``skip_existing``).  The numbers come from the 8-bit map as saved, so a reused map reports what
a fresh one did.

One photo's way: ``step.detect_photo`` (decode, network, map, row, encoded files), the same for the
local engine (``run``), the Ray engine (``ray_engine``) and the web app's uploads; the inputs of both
engines come from one lister (``listing``), their options are one ``DetectOptions`` (``options``).

Decoding and writing run in small thread pools so that they overlap with the network (Pillow and
torch release the GIL); the CSV is appended and flushed row by row, and an interrupt still writes
report.json for the rows done, so ``skip_existing`` resumes either.
"""

from msdunet.detect.listing import list_inputs
from msdunet.detect.options import DetectOptions, RayOptions
from msdunet.detect.outputs import OVERLAY_SIDE, TINT, Target, overlay, overlay_of, plan_outputs
from msdunet.detect.report import FIELDS, ReportWriter, Row, summarize
from msdunet.detect.run import run_batch
from msdunet.detect.step import Detected, detect_photo

__all__ = [
    "FIELDS",
    "OVERLAY_SIDE",
    "TINT",
    "DetectOptions",
    "Detected",
    "RayOptions",
    "ReportWriter",
    "Row",
    "Target",
    "detect_photo",
    "list_inputs",
    "overlay",
    "overlay_of",
    "plan_outputs",
    "run_batch",
    "summarize",
]
