"""One module per book chapter: the chapter's experiments as functions returning plain data.

Why: notebooks explain and plot; the computing lives here, testable and importable, so a
chapter cell is a few library calls. Each module's functions take an explicit seed or
``rng`` and a ``smoke`` flag (small sizes for CI), and return dicts of numbers/arrays that
the notebook records (``initlab.results.record``) and plots.
"""
