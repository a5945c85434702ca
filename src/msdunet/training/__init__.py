"""Training a network: ``fit`` (``train``), its options (``config``: ``TrainConfig`` and TOML files, recipes
in ``configs/``) and a run folder's bookkeeping (``run_folder``)."""
