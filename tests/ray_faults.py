"""A Ray worker that dies on purpose, for tests/test_ray_engine.py (imported by the cluster's workers)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from msdunet.detect.ray_engine import Detect


class DieOnce(Detect):
    """``Detect`` that kills its own process (SIGKILL: no clean-up, as the OOM killer or a lost node)
    before a batch holding a photo beside which a ``<name>.kill`` file lies.  The file is renamed to
    ``<name>.killed`` first (atomic), so one actor dies, once; the retried task finds no file."""

    def __call__(self, batch):
        for source in batch["source"]:
            flag = Path(f"{source}.kill")
            try:
                flag.rename(flag.with_suffix(".killed"))
            except FileNotFoundError:
                continue
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(batch)
