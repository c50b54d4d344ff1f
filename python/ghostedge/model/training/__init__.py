"""Training (torch, lightgbm; never imported at run time): feature selection (``selection``),
the network (``network``), training and the model card (``train``), ONNX export (``export``).

May import: ``model`` (runtime), ``data``, ``analysis.evaluation`` (the held-out figures of the
model card). Nothing in ``ghostedge`` outside this package imports it, but ``commands.train``.
"""
