"""The lab (``python -m lab VERB``): every verb of the registry is a module with a ``main``, and the
entry point lists them and refuses an unknown one."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from lab import ROOT, VERBS


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_is_a_module_with_a_main(verb):
    module = importlib.import_module(VERBS[verb][0])
    assert callable(module.main)


def test_python_m_lab_lists_the_verbs_and_refuses_an_unknown_one():
    listing = subprocess.run([sys.executable, "-m", "lab"], cwd=ROOT, capture_output=True, text=True)
    assert listing.returncode == 0 and all(verb in listing.stdout for verb in VERBS)
    unknown = subprocess.run([sys.executable, "-m", "lab", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert unknown.returncode == 2 and "no verb 'nope'" in unknown.stderr
