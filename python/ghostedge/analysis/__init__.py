"""Analysis: scoring recorded plays offline (layer 4).

Owns the composite metric (``metric``: shapes inputs for the compiled metric, per-play means,
bootstrap intervals), offline ghosts (``ghosts``: model inputs at a frame, the reference
perturbation, one model call; ``rollout``: ghosts over a whole flight), the reference table
(``reference``), quarterback decisions (``decisions``), the model evaluation (``evaluation``) and
season-scale batch scoring (``batch``: rows per play; ``batch_store``: partitions and the output
folder; ``batch_engines``: process pool or Ray, the run).

May import: ``data``, ``model`` (runtime), ``constants``, ``jsonsafe``; never plotting (``viz``
draws what this computes).
"""
