"""Chapter 8, the initializer gallery: every scheme drawn, measured and checked against its law.

What: :func:`draw_gallery` draws ``N = fan_in * fan_out`` weights from each of the 17
initializers of :data:`~.laws.GALLERY` for one ``(fan_in, fan_out)`` kernel, from one running
rng, and compares the measured mean, std, min and max with the law :func:`~.laws.closed_form`
writes out independently of the library; the reference file checks each number against the
range :func:`~.laws.claim_ranges` derives from ``N``. Then the conventions readers trip over:
:func:`conv_fans` (Keras ``(..., in, out)`` versus PyTorch ``(out, in, ...)`` kernels),
:func:`truncation_check` (the 0.8796 correction), :func:`pytorch_default`
(``kaiming_uniform_(a=sqrt(5))`` is ``U(+-1/sqrt(fan_in))``), :func:`orthogonal_check`
(``Q^T Q = I`` for tall, ``Q Q^T = I`` for wide shapes) and :func:`seeded_reuse` (one Generator,
a re-created one, an initializer carrying its own seed). The ``exercise_*`` functions are the
"predict, then run" cells at the end of the page (keys prefixed ``ex_``).

Why: the sources list Keras' initializers without their formulas; the chapter shows each one's
distribution and measures that the library's draws follow the paper's formula.
Papers: LeCun et al. 1998, Glorot and Bengio 2010, He et al. 2015, Saxe et al. 2014,
Klambauer et al. 2017 (LeCun normal for SELU).

Shapes: weights ``(n_in, n_out) = (fan_in, fan_out)`` (Keras layout) unless a function says
PyTorch's ``(out, in, ...)``.

Layout: the notebook's settings cell passes every size here as a keyword argument; each
experiment returns one dict whose scalar entries, under literal keys, are the numbers the page
records (``results.record_all``) and whose other entries are figure data; ``figures`` draws
them; ``laws`` holds the closed forms and claim ranges, ``keys`` the gallery's result keys,
``draws`` the small tools. ``data/reference/08_initializer_gallery.json`` checks the numbers.
"""

from __future__ import annotations

import math

import numpy as np

from initlab import initializers, network
from initlab._checks import check_int
from initlab.experiments.initializer_gallery.draws import (
    draw,
    histogram,
    pair_stats,
    recover_uniform_bound,
    seeded_initializer,
)
from initlab.experiments.initializer_gallery.figures import (
    GROUPS,
    plot_gallery,
    plot_orthogonal,
    plot_pytorch_default,
    plot_seeds,
    plot_truncation,
)
from initlab.experiments.initializer_gallery.keys import RESULT_KEYS
from initlab.experiments.initializer_gallery.laws import (
    GALLERY,
    TRUNCATION,
    claim_ranges,
    closed_form,
    standard_errors,
    truncated_moments,
)
from initlab.experiments.initializer_gallery.tables import conv_table, summary_table

__all__ = ["GALLERY", "GROUPS", "conv_fans", "conv_table", "draw_gallery",
           "exercise_aspect_ratio", "exercise_kaiming_slope", "exercise_std_error",
           "orthogonal_check",
           "plot_gallery", "plot_orthogonal", "plot_pytorch_default", "plot_seeds",
           "plot_truncation", "pytorch_default", "seeded_reuse", "summary_table",
           "truncation_check"]


def draw_gallery(*, fan_in: int, fan_out: int, n_bins: int, seed: int) -> dict:
    """Draw every GALLERY initializer once, in order, from ``default_rng(seed)``.

    Records, per initializer, the measured mean, std (``ddof = 0``), min and max, the closed
    form's mean, std and bound (keys in :data:`~.keys.RESULT_KEYS`); overall, the largest
    ``|z|`` of a mean and of a std over the random initializers (``z = (measured - theory) /
    SE``) and how many drew a ``|w|`` beyond their bound. ``inits[key]`` keeps the law, the
    ``ranges`` of :func:`~.laws.claim_ranges` and a histogram for the figure.
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed"))
    n = fan_in * fan_out
    out: dict = {"gallery_n_draws": n, "gallery_fan_in": fan_in, "gallery_fan_out": fan_out,
                 "inits": {},
                 "settings": {"seed": seed, "fan_in": fan_in, "fan_out": fan_out}}
    for key in GALLERY:
        w = draw(key, rng, fan_in, fan_out)                  # one running rng, GALLERY order
        law = closed_form(key, fan_in, fan_out)
        se_mean, se_std = standard_errors(law, n)
        mean, std, lo, hi = float(w.mean()), float(w.std()), float(w.min()), float(w.max())
        out["inits"][key] = {
            "law": law, "mean": mean, "std": std, "min": lo, "max": hi,
            "max_abs": float(np.abs(w).max()), "ranges": claim_ranges(law, n),
            "z_mean": (mean - law.mean) / se_mean if law.random else 0.0,   # deterministic:
            "z_std": (std - law.std) / se_std if law.random else 0.0,       # exact, no z
            "hist": histogram(w, law, n_bins)}
        values = (mean, std, lo, hi, law.mean, law.std, law.bound)
        out.update({k: v for k, v in zip(RESULT_KEYS[key], values, strict=True) if k})
    random = [r for r in out["inits"].values() if r["law"].random]
    out["gallery_max_abs_z_mean"] = max(abs(r["z_mean"]) for r in random)
    out["gallery_max_abs_z_std"] = max(abs(r["z_std"]) for r in random)
    out["gallery_n_beyond_bound"] = sum(r["max_abs"] > r["law"].bound
                                        for r in out["inits"].values())
    return out


def conv_fans(*, kernel: tuple[int, int], c_in: int, c_out: int, seed: int) -> dict:
    """Fans of a ``kh x kw`` conv kernel from ``c_in`` to ``c_out`` channels, both layouts.

    Closed form: ``fan_in = kh kw c_in``, ``fan_out = kh kw c_out``. Keras stores the kernel as
    ``(kh, kw, c_in, c_out)``, PyTorch as ``(c_out, c_in, kh, kw)``; ``compute_fans`` with the
    matching ``layout`` gives the closed form, with the wrong one it does not. Each reading also
    draws ``he_normal`` (``std = sqrt(2 / fan_in)``) and measures its std.
    """
    kh, kw = (check_int(k, "kernel size", minimum=1) for k in kernel)
    c_in, c_out = check_int(c_in, "c_in", minimum=1), check_int(c_out, "c_out", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed"))
    keras_shape, torch_shape = (kh, kw, c_in, c_out), (c_out, c_in, kh, kw)
    readings = {"keras": (keras_shape, "in_out"), "pytorch": (torch_shape, "out_in"),
                "pytorch_read_as_keras": (torch_shape, "in_out"),
                "keras_read_as_pytorch": (keras_shape, "out_in")}
    fans, he_std, measured = {}, {}, {}
    for reading, (shape, layout) in readings.items():
        fans[reading] = initializers.compute_fans(shape, layout=layout)
        he_std[reading] = math.sqrt(2.0 / fans[reading][0])
        measured[reading] = float(initializers.get("he_normal", layout=layout)(shape, rng).std())
    k, p, pk, kp = "keras", "pytorch", "pytorch_read_as_keras", "keras_read_as_pytorch"
    return {
        "conv_fan_in_keras": fans[k][0], "conv_fan_out_keras": fans[k][1],
        "conv_fan_in_pytorch": fans[p][0], "conv_fan_out_pytorch": fans[p][1],
        "conv_fan_in_pytorch_read_as_keras": fans[pk][0],
        "conv_fan_out_pytorch_read_as_keras": fans[pk][1],
        "conv_fan_in_keras_read_as_pytorch": fans[kp][0],
        "conv_fan_out_keras_read_as_pytorch": fans[kp][1],
        "conv_he_std_keras": he_std[k], "conv_he_std_measured_keras": measured[k],
        "conv_he_std_pytorch": he_std[p], "conv_he_std_measured_pytorch": measured[p],
        "conv_he_std_pytorch_read_as_keras": he_std[pk],
        "conv_he_std_measured_pytorch_read_as_keras": measured[pk],
        "conv_he_std_keras_read_as_pytorch": he_std[kp],
        "conv_he_std_measured_keras_read_as_pytorch": measured[kp],
        "conv_std_ratio_misread": he_std[pk] / he_std[k],
        "fans": fans, "he_std": he_std, "he_std_measured": measured,
        "shapes": {"keras": keras_shape, "pytorch": torch_shape}}


def truncation_check(*, n_draws: int, seed: int) -> dict:
    """Truncated normal with and without the 0.8796 correction, target std 1, ``n_draws`` each.

    Uncorrected: Keras ``TruncatedNormal(stddev=1)``, realised variance ``m2 = 0.774``
    (:func:`~.laws.truncated_moments`). Corrected: ``variance_scaling(scale=1)`` on a ``(1, N)``
    kernel (``fan_in = 1``), which divides the std by ``sqrt(m2)``: realised variance 1. The
    SE of a variance is ``sqrt((mu_4 - sigma^4) / N)``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    rng = np.random.default_rng(check_int(seed, "seed"))
    m2, m4 = truncated_moments()
    raw = initializers.get("truncated_normal", stddev=1.0)((n_draws,), rng)
    fixed = initializers.get("variance_scaling", scale=1.0, mode="fan_in",
                             distribution="truncated_normal")((1, n_draws), rng).ravel()
    se_ratio_raw = math.sqrt((m4 - m2**2) / n_draws)          # SE of s^2, sigma^2 = m2
    var_raw, var_fixed = float(raw.var()), float(fixed.var())   # target variance 1
    return {"trunc_n_draws": n_draws, "trunc_factor_theory": math.sqrt(m2),
            "trunc_factor_library_error": abs(math.sqrt(m2) - initializers.TRUNCATED_NORMAL_STD),
            "trunc_var_ratio_theory": m2,
            "trunc_var_ratio_raw": var_raw, "trunc_var_ratio_fixed": var_fixed,
            "trunc_se_ratio_raw": se_ratio_raw, "trunc_se_ratio_fixed": se_ratio_raw / m2,
            "trunc_max_abs_raw": float(np.abs(raw).max()),
            "trunc_max_abs_fixed": float(np.abs(fixed).max()),
            "trunc_bound_fixed": TRUNCATION / math.sqrt(m2),
            "raw": raw, "fixed": fixed, "var_ratio": {"raw": var_raw, "fixed": var_fixed}}


def pytorch_default(*, fan_in: int, fan_out: int, seed: int) -> dict:
    """PyTorch's ``nn.Linear(fan_in, fan_out)`` weight: ``(fan_out, fan_in)``, ``out_in`` layout.

    ``kaiming_uniform_(a=sqrt(5))``: ``gain = sqrt(2 / (1 + a^2)) = 1/sqrt(3)``,
    ``bound = sqrt(3) gain / sqrt(fan_in) = 1 / sqrt(fan_in)``, so ``fan_in Var(w) = 1/3``; He
    uniform (``a = 0``) has ``bound = sqrt(6 / fan_in)``, ``fan_in Var(w) = 2``, LeCun uniform
    ``sqrt(3 / fan_in)``, 1. Each is drawn from ``default_rng(seed + i)``, ``i = 0, 1, 2``, and its
    bound read back from the draw (:func:`~.draws.recover_uniform_bound`).
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    seed = check_int(seed, "seed")
    inits = {"pytorch": initializers.get("kaiming_uniform", a=math.sqrt(5.0), layout="out_in"),
             "he": initializers.get("kaiming_uniform", a=0.0, layout="out_in"),
             "lecun": initializers.get("lecun_uniform", layout="out_in")}
    W = {k: f((fan_out, fan_in), np.random.default_rng(seed + i))
         for i, (k, f) in enumerate(inits.items())}
    bound = {"pytorch": 1.0 / math.sqrt(fan_in), "he": math.sqrt(6.0 / fan_in),
             "lecun": math.sqrt(3.0 / fan_in)}
    fit = {k: recover_uniform_bound(W[k], seed + i) for i, k in enumerate(inits)}  # (b, resid)
    var = {k: float(fan_in * w.var()) for k, w in W.items()}
    top = {k: float(np.abs(w).max()) for k, w in W.items()}
    return {"torch_gain_closed": 1.0 / math.sqrt(3.0),
            "torch_gain_library": initializers.calculate_gain("leaky_relu", math.sqrt(5.0)),
            "torch_bound_pytorch": bound["pytorch"], "torch_bound_he": bound["he"],
            "torch_bound_lecun": bound["lecun"], "torch_max_abs_pytorch": top["pytorch"],
            "torch_max_abs_he": top["he"], "torch_max_abs_lecun": top["lecun"],
            "torch_fan_in_var_pytorch": var["pytorch"], "torch_fan_in_var_he": var["he"],
            "torch_fan_in_var_lecun": var["lecun"],
            "torch_bound_recovered_pytorch": fit["pytorch"][0],
            "torch_bound_recovered_he": fit["he"][0],
            "torch_bound_recovered_lecun": fit["lecun"][0],
            "torch_bound_error_pytorch": abs(fit["pytorch"][0] - bound["pytorch"]),
            "torch_bound_error_he": abs(fit["he"][0] - bound["he"]),
            "torch_bound_error_lecun": abs(fit["lecun"][0] - bound["lecun"]),
            "torch_fit_residual_pytorch": fit["pytorch"][1], "torch_fit_residual_he": fit["he"][1],
            "torch_fit_residual_lecun": fit["lecun"][1],
            "weights": W, "bound": bound, "fan_in_var": var, "layer": (fan_in, fan_out)}


def orthogonal_check(*, tall: tuple[int, int], conv: tuple[int, ...], seed: int) -> dict:
    """``Q^T Q = I`` for a tall kernel, ``Q Q^T = I`` for a wide one, both ``(n_in, n_out)``.

    ``tall`` is ``(rows, cols)``, rows > cols; the wide kernel has the transposed shape; the conv
    kernel is checked flattened to ``(prod(shape[:-1]), shape[-1])``. The wrong product of the
    tall kernel, ``Q Q^T``, is a projection of rank ``cols`` whose diagonal averages
    ``cols / rows``, so ``max |Q Q^T - I| >= 1 - cols / rows``. Singular values against a
    Gaussian kernel of entry variance ``1 / rows`` (Marchenko-Pastur: ``1 -+ sqrt(cols / rows)``).
    """
    rows, cols = (check_int(d, "tall shape", minimum=1) for d in tall)
    if rows <= cols:
        raise ValueError(f"`tall` must have more rows than columns, got {tall!r}")
    rng = np.random.default_rng(check_int(seed, "seed"))
    orth = initializers.get("orthogonal")
    Q_tall, Q_wide, K = orth((rows, cols), rng), orth((cols, rows), rng), orth(conv, rng)
    G = rng.standard_normal((rows, cols)) / math.sqrt(rows)
    K2 = K.reshape(-1, conv[-1])
    sv_orth, sv_gauss = (np.linalg.svd(M, compute_uv=False) for M in (Q_tall, G))
    mp_edges = (1.0 - math.sqrt(cols / rows), 1.0 + math.sqrt(cols / rows))   # Marchenko-Pastur
    return {
        "orth_tall_dev": float(np.abs(Q_tall.T @ Q_tall - np.eye(cols)).max()),
        "orth_wide_dev": float(np.abs(Q_wide @ Q_wide.T - np.eye(cols)).max()),
        "orth_conv_dev": float(np.abs(K2.T @ K2 - np.eye(conv[-1])).max()),
        "orth_tall_wrong_side_dev": float(np.abs(Q_tall @ Q_tall.T - np.eye(rows)).max()),
        "orth_wrong_side_floor": 1.0 - cols / rows,
        "orth_sv_min": float(sv_orth.min()), "orth_sv_max": float(sv_orth.max()),
        "gauss_sv_min": float(sv_gauss.min()), "gauss_sv_max": float(sv_gauss.max()),
        "mp_edge_low": mp_edges[0], "mp_edge_high": mp_edges[1], "mp_edges": mp_edges,
        "sv_orthogonal": sv_orth, "sv_gaussian": sv_gauss, "tall": (rows, cols)}


def seeded_reuse(*, width: int, n_layers: int, seed: int) -> dict:
    """Seeds and re-use: GlorotUniform on ``(width, width)`` layers, four ways.

    ``same_rng``: called twice on one Generator, different layers (the rng advances);
    ``fresh_rng``: on ``default_rng(seed)`` and on a re-created one, identical layers;
    ``seeded_object``: an MLP with ``n_layers`` layers, each from :func:`~.draws.seeded_initializer`
    (Keras' ``GlorotUniform(seed=...)`` handed to every layer): first and last layers identical;
    ``running``: the same MLP drawn from one running rng. Independent layers have entry
    correlation ``~ N(0, 1 / width^2)`` and ``max |A - B|`` between ``b`` and ``2 b``, ``b =
    sqrt(6 / (2 width))`` the Glorot limit.
    """
    width = check_int(width, "width", minimum=2)
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    init, shape = initializers.get("glorot_uniform"), (width, width)
    rng = np.random.default_rng(check_int(seed, "seed"))
    pairs = {"same_rng": (init(shape, rng), init(shape, rng)),
             "fresh_rng": (init(shape, np.random.default_rng(seed)),
                           init(shape, np.random.default_rng(seed)))}
    for label, w_init in (("seeded_object", seeded_initializer("glorot_uniform", seed)),
                          ("running", "glorot_uniform")):
        model = network.MLP((width,) * (n_layers + 1), np.random.default_rng(seed),
                            activation="relu", weight_init=w_init)
        pairs[label] = (model.weights[0], model.weights[-1])
    same, fresh, seeded, running = (pair_stats(*pairs[k]) for k in pairs)  # identical, max, corr
    bound = math.sqrt(6.0 / (2 * width))                       # Glorot limit, fan_in = fan_out
    return {"reuse_bound": bound,
            "reuse_same_rng_identical": same[0], "reuse_same_rng_max_diff": same[1],
            "reuse_same_rng_corr": same[2], "reuse_fresh_rng_identical": fresh[0],
            "reuse_fresh_rng_max_diff": fresh[1], "reuse_fresh_rng_corr": fresh[2],
            "reuse_seeded_object_identical": seeded[0], "reuse_seeded_object_max_diff": seeded[1],
            "reuse_seeded_object_corr": seeded[2], "reuse_running_identical": running[0],
            "reuse_running_max_diff": running[1], "reuse_running_corr": running[2],
            "pairs": pairs, "max_diff": {"same_rng": same[1], "fresh_rng": fresh[1]},
            "settings": {"width": width, "seed": seed, "bound": bound}}


def exercise_std_error(*, n_draws: int, seed: int, n_repeats: int = 400) -> dict:
    """Exercise: how precisely ``n_draws`` weights pin their std, normal against uniform.

    ``n_repeats`` rows of ``n_draws`` draws each of ``RandomNormal(0, 0.05)`` and
    ``RandomUniform(+-0.05)`` (fixed scale: no fans), one std per row; the spread of those stds
    against the delta method ``SE(std) = sigma sqrt((kurtosis - 1) / (4 N))``
    (:func:`~.laws.standard_errors`), relative to ``sigma``: ``1/sqrt(2N)`` and ``1/sqrt(5N)``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=2)
    rng = np.random.default_rng(check_int(seed, "seed"))
    out: dict = {"ex_se_n_draws": n_draws, "ex_se_n_repeats": n_repeats}
    for key in ("random_normal", "random_uniform"):
        law = closed_form(key, n_repeats, n_draws)          # fixed scale: fans do not matter
        stds = draw(key, rng, n_repeats, n_draws).std(axis=1)   # one std per row of N draws
        out[f"ex_se_{key}_theory"] = standard_errors(law, n_draws)[1] / law.std
        out[f"ex_se_{key}_measured"] = float(stds.std(ddof=1)) / law.std
    return out


def exercise_kaiming_slope(*, a: float, fan_in: int, fan_out: int, seed: int) -> dict:
    """Exercise: ``kaiming_uniform_(a=...)`` on PyTorch's ``(fan_out, fan_in)`` weight.

    ``gain^2 = 2 / (1 + a^2)`` and ``std = gain / sqrt(fan_in)``, so ``fan_in Var(w) = 2 / (1 +
    a^2)``: 2 at ``a = 0`` (He), 1 at ``a = 1`` (LeCun), 1/3 at ``a = sqrt(5)`` (the default).
    """
    a = float(a)
    if not math.isfinite(a):
        raise ValueError(f"`a` must be a finite slope, got {a!r}")
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    init = initializers.get("kaiming_uniform", a=a, layout="out_in")
    W = init((fan_out, fan_in), np.random.default_rng(check_int(seed, "seed")))
    return {"ex_slope_a": a, "ex_slope_theory": 2.0 / (1.0 + a**2),
            "ex_slope_fan_in_var": float(fan_in * W.var()),
            "ex_slope_gain_library": initializers.calculate_gain("leaky_relu", a)}


def exercise_aspect_ratio(*, rows: int, cols: int, conv: tuple[int, ...], seed: int) -> dict:
    """Exercise: singular values of a ``(rows, cols)`` kernel, orthogonal against Gaussian.

    :func:`orthogonal_check` on the new shape: the orthogonal kernel keeps every singular value
    at 1, the Gaussian one spreads them to the Marchenko-Pastur edges ``1 -+ sqrt(cols / rows)``.
    """
    orth = orthogonal_check(tall=(rows, cols), conv=conv, seed=seed)
    return {"ex_aspect_rows": orth["tall"][0], "ex_aspect_cols": orth["tall"][1],
            "ex_aspect_orth_sv_min": orth["orth_sv_min"],
            "ex_aspect_orth_sv_max": orth["orth_sv_max"],
            "ex_aspect_gauss_sv_min": orth["gauss_sv_min"],
            "ex_aspect_gauss_sv_max": orth["gauss_sv_max"],
            "ex_aspect_mp_low": orth["mp_edge_low"], "ex_aspect_mp_high": orth["mp_edge_high"]}
