"""Chapter 8's two tables, formatted for the page: the gallery's statistics and the conv fans.

What: :func:`summary_table` sets each gallery initializer's measured mean, std, min and max next
to the closed form (``z`` = deviation in standard errors); :func:`conv_table` lists the four
readings of one conv kernel (each layout with each fan rule).
Why: the page shows them as tables, rounded (4 significant digits, ``z`` to 2 decimals).
Shapes: one row per initializer (17) or per reading (4).
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from initlab.experiments.initializer_gallery.laws import GALLERY


def summary_table(gallery: dict) -> Styler:
    """Theory versus measurement, one row per initializer (bound ``inf`` = unbounded)."""
    rows = {}
    for key, r in gallery["inits"].items():
        law = r["law"]
        rows[GALLERY[key][2].replace("\n", " ")] = {
            "law": law.kind, "mean (theory)": law.mean, "mean": r["mean"],
            "z mean": r["z_mean"], "std (theory)": law.std, "std": r["std"], "z std": r["z_std"],
            "bound (theory)": law.bound, "min": r["min"], "max": r["max"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    formats = {c: "{:.4g}" for c in table.columns if c not in ("law", "z mean", "z std")}
    return table.style.format(formats | {"z mean": "{:+.2f}", "z std": "{:+.2f}"})


def conv_table(conv: dict) -> Styler:
    """One row per reading of ``conv_fans``: shape, rule, fans, He std (theory, measured)."""
    names = {"keras": ("Keras kernel", "Keras rule (..., in, out)"),
             "pytorch": ("PyTorch kernel", "PyTorch rule (out, in, ...)"),
             "pytorch_read_as_keras": ("PyTorch kernel", "Keras rule (..., in, out)"),
             "keras_read_as_pytorch": ("Keras kernel", "PyTorch rule (out, in, ...)")}
    rows = []
    for reading, (kernel, rule) in names.items():
        shape = conv["shapes"]["keras" if kernel == "Keras kernel" else "pytorch"]
        fan_in, fan_out = conv["fans"][reading]
        rows.append({"kernel": f"{kernel} {shape}", "read with": rule, "fan_in": fan_in,
                     "fan_out": fan_out, "He std sqrt(2/fan_in)": conv["he_std"][reading],
                     "measured std": conv["he_std_measured"][reading]})
    return pd.DataFrame(rows).style.format(precision=4)
