"""One module per book chapter, named like its notebook without the number.

``chapters/06_he_kaiming.ipynb`` goes with ``initlab.experiments.he_kaiming`` (a package of that
name where the chapter needs more than one module). How a chapter is laid out:

1. **Settings**: the notebook's visible ``parameters`` cell holds every setting of the full run
   (widths, depths, seeds, learning rate, epochs, ...). Smoke mode (CI) overrides some of them
   from one place, the notebook's metadata ``initlab.smoke``. Change a setting, run all cells.
2. **Experiment function**: ``he_kaiming.depth_profile(width=..., n_layers=..., seed=...)``
   takes every setting as an argument (never a ``smoke`` flag), reads in 15-40 lines because it
   is built on the library (``train.run``, ``theory``, ``diagnostics``, ``stats``), and the page
   shows its source in a collapsed block next to the call.
3. **Its numbers**: it returns one mapping whose scalar entries, under literal string keys, are
   the numbers the page cites; ``results.record_all(...)`` records and glues them. Non-scalar
   entries are the data of the figure.
4. **Its figure**: ``he_kaiming.plot_depth_profile(...)``, drawn with ``initlab.plotting``.
5. **The prose** cites the glued numbers (``{glue:text}`he_v30:.3f```), never typed ones.
6. **The reference** ``data/reference/06_he_kaiming.json`` holds the claims (ranges that theory
   or a paper fixes, each with its ``why``) and snapshots CI checks every number against.

What two chapters need lives in the library, tested once; a chapter module holds only its own
experiments and figures.
"""
