"""Project format overrides (``FORMAT_MODULE_PATH``): only what differs from Django's own locale formats.

Kept here rather than under ``locale/`` because a format module must be importable, and a top-level
``locale`` package would shadow Python's standard ``locale`` module.
"""
