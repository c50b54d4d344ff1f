"""Viz: pictures (layer 5). Field drawing, ghosts at the catch and animations (``field``), quarterback
decisions (``decisions``), one play's ghost regions (``ghosts``). matplotlib is imported inside
the functions that draw, so importing this package costs nothing.

May import: ``data``, ``model`` (runtime), ``analysis``, ``constants``.
"""
