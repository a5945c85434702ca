"""``msdunet serve``: a local web app over the detector and a detect output folder (needs the
``serve`` extra: ``pip install torch==2.13.0 -e ".[serve]"``).  ``create_app`` builds it; ``running`` runs it in
a thread for tests and scripts."""

from msdunet.serve.app import create_app
from msdunet.serve.live import running

__all__ = ["create_app", "running"]
