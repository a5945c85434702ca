"""The ``msdunet`` command line: one module per verb, each importing torch only when it runs."""
