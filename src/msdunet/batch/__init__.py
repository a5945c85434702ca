"""Blur maps for many files: outputs per image, a CSV/JSON report, and no crash on one bad file.

Per image ``<name>_blur.png`` (8-bit map at the image's own size, white = blurred) and
``<name>_overlay.jpg`` (the photo with blurred regions tinted blue, long side at most ``overlay_side``).
``<name>`` is the file's stem; when two inputs share a stem, the later ones use the whole file
name (``a_png``).  The report has one row per input, in input order:

path, width, height, mean_blur (mean P(blurred)), blurred_fraction (share of pixels with
P ≥ threshold), verdict, ms (time for this image), error (empty when it worked).

Verdict from the blurred fraction f: ``sharp`` when f < ``SHARP_BELOW`` (0.05), ``blurred`` when
f ≥ ``BLURRED_FROM`` (0.95), else ``partly blurred``.

Decoding and writing run in small thread pools so that they overlap with the network (Pillow and
torch release the GIL); the CSV is appended and flushed row by row, so an interrupted run keeps
what it did, and ``skip_existing`` resumes it.
"""

from msdunet.batch.outputs import OVERLAY_SIDE, TINT, Target, overlay, plan_outputs, write_outputs
from msdunet.batch.report import BLURRED_FROM, FIELDS, SHARP_BELOW, ReportWriter, Row, summarize, verdict
from msdunet.batch.run import run_batch

__all__ = [
    "BLURRED_FROM",
    "FIELDS",
    "OVERLAY_SIDE",
    "SHARP_BELOW",
    "TINT",
    "ReportWriter",
    "Row",
    "Target",
    "overlay",
    "plan_outputs",
    "run_batch",
    "summarize",
    "verdict",
    "write_outputs",
]
