"""The sizes at which the network sees an image, importable without torch (the CLI's help quotes them).

* ``DEFAULT_WORKING_SIZE`` and ``DEFAULT_SQUARE``: what ``BlurDetector()``, ``msdunet detect``,
  ``msdunet evaluate --dataset`` and ``msdunet serve`` show the network: a ``DEFAULT_WORKING_SIZE``
  square whatever the photo's aspect (``square=False``, ``--keep-aspect``: that long side, aspect
  kept).  The training input, and the best of eight geometries (square, long or short side; 224–384
  px) on DUT train and CUHK Kim train, measured off the test splits (``python -m lab geometry_study``,
  reports/geometry.md);
* ``PAPER_WORKING_SIZE``: the paper's evaluation protocol resizes every image to this square
  (``BlurDetector.paper_protocol``: the same geometry as the default);
* ``MAP_SIZE``: the long side, at most, of the maps ``msdunet detect`` writes (``--map-size``; the
  overlays' size, so the two line up): the network sees 256 px, a larger map only interpolates.
"""

from __future__ import annotations

DEFAULT_WORKING_SIZE = 256
DEFAULT_SQUARE = True
PAPER_WORKING_SIZE = 256
MAP_SIZE = 1600
