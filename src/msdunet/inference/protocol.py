"""The sizes at which the network sees an image, importable without torch (the CLI's help quotes them).

* ``DEFAULT_WORKING_SIZE``: long side of the working image, aspect kept, for ``BlurDetector`` and
  ``msdunet detect`` — the training scale, and the best of 256–512 in reports/accuracy_scale.md;
* ``PAPER_WORKING_SIZE``: the paper's evaluation protocol resizes every image to this square
  (``BlurDetector.paper_protocol``, ``msdunet evaluate --dataset`` by default);
* ``MAP_SIZE``: the long side, at most, of the maps ``msdunet detect`` writes (``--map-size``; the
  overlays' size, so the two line up): the network sees 256 px, a larger map only interpolates.
"""

from __future__ import annotations

DEFAULT_WORKING_SIZE = 256
PAPER_WORKING_SIZE = 256
MAP_SIZE = 1600
