"""How good a blur map is: the paper's metrics (``metrics``) and evaluation over a dataset or a folder
(``evaluate``)."""
