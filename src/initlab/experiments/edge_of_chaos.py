"""Chapter 12, the edge of chaos: mean-field theory of signal propagation, and a simulation of it.

What: Poole et al. (2016) and Schoenholz et al. (2017) follow two inputs through an infinitely
wide random network ``h_{l+1} = phi(h_l) @ W_{l+1} + b_{l+1}`` with ``W ~ N(0, sigma_w2 / N)``
(``N = fan_in``) and ``b ~ N(0, sigma_b2)``. The length ``q_l = |h_l|^2 / N`` of each input
converges to a fixed point ``q*``; the correlation ``c_l`` of the two converges to ``c*``,
geometrically with ratio ``chi_c``, i.e. ``|c_l - c*| ~ exp(-l / xi_c)``, ``xi_c = -1/log chi_c``.
``chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2] = 1`` is the order-to-chaos line where ``xi_c``
diverges; Schoenholz et al. found networks trainable only up to a depth of about ``6 xi_c``.

1. :func:`phase_diagram`: ``chi_1`` and ``xi_c`` over a ``(sigma_w2, sigma_b2)`` grid for tanh
   and the critical line, all from :mod:`initlab.theory`.
2. :func:`correlation_trajectories`: measured ``c_l`` of finite-width random tanh nets against
   the iterated correlation map, in the ordered, critical and chaotic phases.
3. :func:`distinguishability`: how far apart two input pairs (initial correlations ``c_a`` and
   ``c_b``) still are at depth ``l``, ``Delta_l = |c_l^a - c_l^b|``, over ``(sigma_w2, depth)``:
   the simulation's version of "the network can still tell its inputs apart", to set against
   the predicted ``6 xi_c``.
4. :func:`relu_propagation`: ReLU has no chaotic phase; its length grows like
   ``(sigma_w2 / 2)^l`` and the critical point ``sigma_w2 = 2`` is He's init.

Why: the theory chapter of the book; every named scheme in the earlier chapters sits on (or
misses) this critical line. Shapes: ``H`` ``(n_inputs, N)``, rows are inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from initlab import activations, theory
from initlab._checks import check_int, check_positive

#: Schoenholz et al. (2017) train their tanh networks at this bias variance.
SIGMA_B2 = 0.05
#: The two initial correlations of :func:`distinguishability`.
C_PAIR = (0.2, 0.8)


# ------------------------------------------------------------------------- 1. theory only


def phase_diagram(smoke: bool) -> dict:
    """``chi_1`` and ``xi_c`` of tanh over a ``(sigma_w2, sigma_b2)`` grid, and the critical line.

    Grid ``sigma_w2`` in ``[0.5, 4]``, ``sigma_b2`` in ``[0, 0.3]`` (Poole et al. 2016, Fig. 1;
    12 x 7 points in smoke mode, 36 x 16 in full). ``critical`` is ``critical_sigma_w2`` at
    ``sigma_b2_line`` (41 or 11 points); ``xi_c_slice`` is ``xi_c`` along ``sigma_w2_slice`` at
    ``sigma_b2 = SIGMA_B2``. Arrays indexed ``[sigma_b2, sigma_w2]``.
    """
    n_w, n_b, n_line = (12, 7, 11) if smoke else (36, 16, 41)
    sigma_w2 = np.linspace(0.5, 4.0, n_w)
    sigma_b2 = np.linspace(0.0, 0.3, n_b)
    grid = theory.depth_scales_grid(sigma_w2, sigma_b2, "tanh")
    line_b2 = np.linspace(0.0, 0.3, n_line)
    critical = np.array([theory.critical_sigma_w2(float(b), "tanh") for b in line_b2])
    w_slice = np.linspace(0.5, 4.0, 60 if smoke else 200)
    xi_slice = np.array([theory.depth_scales(float(w), SIGMA_B2, "tanh")["xi_c"]
                         for w in w_slice])
    crit_b = theory.critical_sigma_w2(SIGMA_B2, "tanh")
    return {
        "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "chi_1": grid["chi_1"],
        "xi_c": grid["xi_c"], "sigma_b2_line": line_b2, "critical": critical,
        "sigma_w2_slice": w_slice, "xi_c_slice": xi_slice,
        "critical_tanh_b0": theory.critical_sigma_w2(0.0, "tanh"),
        "critical_tanh": crit_b,
        "chi_1_at_critical": theory.chi_1(crit_b, SIGMA_B2, "tanh"),
        "critical_relu_b0": theory.critical_sigma_w2(0.0, "relu"),
        "critical_relu_b005": theory.critical_sigma_w2(SIGMA_B2, "relu"),
        "q_star_critical": theory.fixed_point_q(crit_b, SIGMA_B2, "tanh"),
    }


# ---------------------------------------------------------------- 2. finite-width simulation


def correlated_inputs(correlations: Sequence[float], q: float, width: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Pre-activations ``H`` ``(1 + k, width)``: a reference row and ``k`` rows at the given
    correlations with it, each of squared length exactly ``q * width``.

    Built from an orthonormal basis (QR of a Gaussian matrix): ``h_i = sqrt(q N) (c_i e_0 +
    sqrt(1 - c_i^2) e_i)``, so ``h_0 . h_i / (|h_0| |h_i|) = c_i`` exactly.
    """
    width = check_int(width, "width", minimum=len(correlations) + 1)
    q = check_positive(q, "q")
    for c in correlations:
        if not -1.0 <= c <= 1.0:
            raise ValueError(f"correlations must lie in [-1, 1], got {c!r}")
    basis, _ = np.linalg.qr(rng.standard_normal((width, len(correlations) + 1)))
    basis = basis.T
    rows = [basis[0]] + [c * basis[0] + math.sqrt(1.0 - c * c) * basis[i + 1]
                         for i, c in enumerate(correlations)]
    return math.sqrt(q * width) * np.array(rows)


def propagate(H: np.ndarray, depth: int, sigma_w2: float, sigma_b2: float, activation: str,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Push the rows of ``H`` ``(n, N)`` through ``depth`` random layers of width ``N``.

    ``H_{l+1} = phi(H_l) @ W + b``, ``W ~ N(0, sigma_w2 / N)`` ``(N, N)``, ``b ~ N(0, sigma_b2)``
    ``(N,)`` shared by all rows (as in the mean-field derivation). Returns ``q`` ``(depth + 1, n)``,
    the squared length per unit ``|h|^2 / N`` of each row, and ``corr`` ``(depth + 1, n)``, the
    (uncentred) correlation of each row with row 0; index 0 is the input.
    """
    depth = check_int(depth, "depth", minimum=1)
    phi = activations.get(activation).f
    width = H.shape[1]
    w_std, b_std = math.sqrt(sigma_w2 / width), math.sqrt(sigma_b2)
    qs, cs = [], []
    for l in range(depth + 1):
        if l > 0:
            H = phi(H) @ (w_std * rng.standard_normal((width, width))) \
                + b_std * rng.standard_normal(width)
        sq = np.einsum("ij,ij->i", H, H)
        qs.append(sq / width)
        cs.append(H @ H[0] / np.sqrt(sq * sq[0]))
    return np.array(qs), np.array(cs)


def correlation_trajectories(seed: int, smoke: bool) -> dict:
    """Measured versus predicted ``c_l`` for tanh in three phases at ``sigma_b2 = SIGMA_B2``.

    ``sigma_w2`` = 1.0 (ordered), the critical value, 3.0 (chaotic); inputs start at
    ``q*`` with correlations 0.2 and 0.8 to a reference; width 200 (smoke) or 1000 (full),
    depth 30; ``n_nets`` independent nets (2 or 4) averaged. ``max_err_sqrt_n`` is the largest
    ``|mean measured - theory| * sqrt(width)`` over phases, pairs and layers: finite-width
    fluctuations of a correlation are ``O(1 / sqrt(N))``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    width, n_nets, depth = (200, 2, 30) if smoke else (1000, 4, 30)
    crit = theory.critical_sigma_w2(SIGMA_B2, "tanh")
    phases = {"ordered": 1.0, "critical": crit, "chaotic": 3.0}
    out: dict = {"width": width, "n_nets": n_nets, "depth": depth, "phases": phases,
                 "layers": np.arange(depth + 1), "measured": {}, "theory": {}, "seed": seed}
    errs = []
    for name, sw2 in phases.items():
        q_star = theory.fixed_point_q(sw2, SIGMA_B2, "tanh")
        runs = []
        for _ in range(n_nets):
            H = correlated_inputs(C_PAIR, q_star, width, rng)
            runs.append(propagate(H, depth, sw2, SIGMA_B2, "tanh", rng)[1][:, 1:])
        measured = np.mean(runs, axis=0)                       # (depth + 1, 2)
        predicted = np.stack([theory.correlation_trajectory(c, depth, sw2, SIGMA_B2, "tanh")
                              for c in C_PAIR], axis=1)
        out["measured"][name], out["theory"][name] = measured, predicted
        errs.append(np.max(np.abs(measured - predicted)))
    out["max_err_sqrt_n"] = float(max(errs) * math.sqrt(width))
    return out


def distinguishability(seed: int, smoke: bool, n_groups: int = 16) -> dict:
    """``Delta_l = |c_l^a - c_l^b|`` of two input pairs over ``(sigma_w2, depth)``, tanh.

    One random net of width 150 (smoke) or 400 (full) per ``sigma_w2`` in ``[0.5, 4]``
    (12 or 36 values), depths 0..60 or 0..120, ``sigma_b2 = SIGMA_B2``. ``n_groups`` groups of
    three inputs at ``q*`` (a reference and two rows at correlations ``C_PAIR`` with it, all
    ``3 n_groups`` directions orthogonal); ``c_l^a``, ``c_l^b`` are the group means, which
    averages down the ``O(1/sqrt(N))`` finite-width fluctuation. Also ``xi_c`` per
    ``sigma_w2``, and over the cells at depth ``>= 6 xi_c`` (mean field: ``Delta <= 0.6 e^{-6}``
    = 0.0015): ``delta_deep_max_ordered``, the largest in the ordered phase, where the
    fluctuations die out with ``1 - c``; ``delta_deep_median_chaotic``, the median in the chaotic
    phase, where they do not (``delta_deep_chaotic_sqrt_n``: the same times
    ``sqrt(width * n_groups)``, the fluctuation in units of its ``1/sqrt(N G)`` scale); and
    ``delta_shallow_min``, the smallest ``Delta`` at depth ``<= xi_c`` and ``<= 10``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    n_groups = check_int(n_groups, "n_groups", minimum=1)
    width, n_w, depth = (150, 12, 60) if smoke else (400, 36, 120)
    sigma_w2 = np.linspace(0.5, 4.0, n_w)
    delta = np.empty((depth + 1, n_w))
    xi_c = np.empty(n_w)
    for j, sw2 in enumerate(sigma_w2):
        q_star = theory.fixed_point_q(float(sw2), SIGMA_B2, "tanh")
        H = grouped_inputs(C_PAIR, n_groups, q_star, width, rng)
        corr = propagate_groups(H, depth, float(sw2), SIGMA_B2, "tanh", rng)
        delta[:, j] = np.abs(corr[:, 0] - corr[:, 1])
        xi_c[j] = theory.depth_scales(float(sw2), SIGMA_B2, "tanh")["xi_c"]
    layers = np.arange(depth + 1)[:, None]
    deep = layers >= 6 * xi_c[None, :]
    shallow = (layers <= xi_c[None, :]) & (layers <= 10)
    ordered = (sigma_w2 < theory.critical_sigma_w2(SIGMA_B2, "tanh"))[None, :]
    return {
        "width": width, "n_groups": n_groups, "sigma_w2": sigma_w2, "depth": depth,
        "delta": delta, "xi_c": xi_c,
        "delta_deep_max_ordered": float(delta[deep & ordered].max()),
        "delta_deep_median_chaotic": float(np.median(delta[deep & ~ordered])),
        "delta_deep_chaotic_sqrt_n": float(np.median(delta[deep & ~ordered])
                                           * math.sqrt(width * n_groups)),
        "delta_shallow_min": float(delta[shallow].min()),
        "n_deep_cells": int(deep.sum()), "n_shallow_cells": int(shallow.sum()),
    }


def grouped_inputs(correlations: Sequence[float], n_groups: int, q: float, width: int,
                   rng: np.random.Generator) -> np.ndarray:
    """``n_groups`` stacked blocks of :func:`correlated_inputs` on mutually orthogonal directions.

    Returns ``H`` ``(n_groups * (1 + k), width)``; block ``g`` is rows ``g (1+k) .. g (1+k) + k``.
    """
    k = len(correlations)
    basis, _ = np.linalg.qr(rng.standard_normal((width, n_groups * (k + 1))))
    basis = basis.T.reshape(n_groups, k + 1, width)
    rows = []
    for e in basis:
        rows.append(e[0])
        rows += [c * e[0] + math.sqrt(1.0 - c * c) * e[i + 1] for i, c in enumerate(correlations)]
    return math.sqrt(q * width) * np.array(rows)


def propagate_groups(H: np.ndarray, depth: int, sigma_w2: float, sigma_b2: float,
                     activation: str, rng: np.random.Generator, k: int = 2) -> np.ndarray:
    """Like :func:`propagate` for the blocks of :func:`grouped_inputs` (``k`` rows per reference).

    Returns ``corr`` ``(depth + 1, k)``: per layer, the mean over groups of each row's
    correlation with its group's reference.
    """
    phi = activations.get(activation).f
    width = H.shape[1]
    w_std, b_std = math.sqrt(sigma_w2 / width), math.sqrt(sigma_b2)
    out = []
    for l in range(depth + 1):
        if l > 0:
            H = phi(H) @ (w_std * rng.standard_normal((width, width))) \
                + b_std * rng.standard_normal(width)
        G = H.reshape(-1, k + 1, width)
        norms = np.sqrt(np.einsum("gij,gij->gi", G, G))
        dots = np.einsum("gij,gj->gi", G[:, 1:], G[:, 0])
        out.append(np.mean(dots / (norms[:, 1:] * norms[:, :1]), axis=0))
    return np.array(out)


def relu_propagation(seed: int, smoke: bool) -> dict:
    """ReLU, ``sigma_b2 = 0``: length ``q_l / q_0`` versus ``(sigma_w2 / 2)^l`` at three scales.

    ``sigma_w2`` in (1.5, 2.0, 2.5); width 200 (smoke) or 500 (full), depth 40, ``n_nets``
    2 or 6 nets per scale, one input of ``q_0 = 1``. ``rate`` is the least-squares slope of the
    mean ``log q_l`` on ``l`` (theory ``log(sigma_w2 / 2)``), ``rate_err`` its largest error;
    ``q_ratio_he`` the geometric-mean ``q_depth / q_0`` at He's ``sigma_w2 = 2`` (theory 1).
    Also the correlation of two inputs (``c_0 = 0.2``) at ``sigma_w2 = 2`` against the map:
    with ``c* = 1`` ReLU nets slowly forget that inputs differed, at every ``sigma_w2``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    width, n_nets, depth = (200, 2, 40) if smoke else (500, 6, 40)
    scales = (1.5, 2.0, 2.5)
    out: dict = {"width": width, "n_nets": n_nets, "depth": depth, "scales": scales,
                 "layers": np.arange(depth + 1), "log_q": {}, "rate": {}}
    errs = []
    for sw2 in scales:
        logs = []
        for _ in range(n_nets):
            H = correlated_inputs((0.2,), 1.0, width, rng)
            q, corr = propagate(H, depth, sw2, 0.0, "relu", rng)
            logs.append(np.log(q[:, 0]))
            if sw2 == 2.0:
                out.setdefault("corr_he", []).append(corr[:, 1])
        log_q = np.mean(logs, axis=0)
        out["log_q"][sw2] = log_q
        rate = float(np.polyfit(out["layers"], log_q, 1)[0])
        out["rate"][sw2] = rate
        errs.append(abs(rate - math.log(sw2 / 2.0)))
    out["rate_err"] = float(max(errs))
    out["q_ratio_he"] = float(np.exp(out["log_q"][2.0][-1]))
    out["corr_he"] = np.mean(out["corr_he"], axis=0)
    out["corr_he_theory"] = theory.correlation_trajectory(0.2, depth, 2.0, 0.0, "relu")
    out["corr_he_err"] = float(np.max(np.abs(out["corr_he"] - out["corr_he_theory"])))
    return out


# ------------------------------------------------------------------------------ figures


def plot_phase_diagram(pd_: dict) -> Figure:
    """Left: ``chi_1`` heatmap with the critical line; right: ``xi_c`` and ``6 xi_c`` at one
    ``sigma_b2`` (log scale), diverging at the critical point."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    mesh = ax1.pcolormesh(pd_["sigma_w2"], pd_["sigma_b2"], pd_["chi_1"], cmap="RdBu_r",
                          vmin=0.0, vmax=2.0, shading="nearest")
    fig.colorbar(mesh, ax=ax1, label=r"$\chi_1$ (gradient growth per layer)")
    ax1.plot(pd_["critical"], pd_["sigma_b2_line"], "k-", lw=2,
             label=r"critical line $\chi_1 = 1$")
    ax1.axhline(SIGMA_B2, color="k", ls=":", lw=1,
                label=rf"$\sigma_b^2 = {SIGMA_B2}$ (right panel)")
    ax1.set(xlabel=r"weight variance $\sigma_w^2$ (Var(w) $\times$ fan_in)",
            ylabel=r"bias variance $\sigma_b^2$", title="tanh: ordered (blue) vs chaotic (red)")
    ax1.legend(loc="upper left", fontsize=8)
    xi = np.where(np.isfinite(pd_["xi_c_slice"]), pd_["xi_c_slice"], np.nan)
    ax2.semilogy(pd_["sigma_w2_slice"], xi, label=r"$\xi_c$")
    ax2.semilogy(pd_["sigma_w2_slice"], 6 * xi, "--", label=r"$6\,\xi_c$ (trainable depth)")
    ax2.axvline(pd_["critical_tanh"], color="k", ls=":",
                label=rf"critical $\sigma_w^2$ = {pd_['critical_tanh']:.3f}")
    ax2.set(xlabel=r"weight variance $\sigma_w^2$", ylabel="depth scale (layers, log)",
            title=rf"tanh, $\sigma_b^2 = {SIGMA_B2}$: depth scale of correlations")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_trajectories(tr: dict) -> Figure:
    """Measured (points) versus mean-field (lines) correlation per layer, one panel per phase."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
    for ax, (name, sw2) in zip(axes, tr["phases"].items(), strict=True):
        for k, c0 in enumerate(C_PAIR):
            ax.plot(tr["layers"], tr["theory"][name][:, k], color=f"C{k}",
                    label=f"theory, $c_0$ = {c0}")
            ax.plot(tr["layers"], tr["measured"][name][:, k], "o", ms=3, color=f"C{k}",
                    label=f"measured, $c_0$ = {c0}")
        ax.set(title=rf"{name}: $\sigma_w^2$ = {sw2:.2f}", xlabel="layer $l$")
    axes[0].set_ylabel("correlation $c_l$ of the two inputs")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"tanh, width {tr['width']}, mean of {tr['n_nets']} random nets (seed "
                 f"{tr['seed']}); lines: iterated correlation map", fontsize=10)
    fig.tight_layout()
    return fig


def plot_distinguishability(d: dict) -> Figure:
    """Heatmap of ``Delta_l`` over ``(sigma_w2, depth)``, log colour, with ``6 xi_c`` on top."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    floor = 1e-4
    mesh = ax.pcolormesh(d["sigma_w2"], np.arange(d["depth"] + 1), np.maximum(d["delta"], floor),
                         norm=LogNorm(vmin=floor, vmax=1.0), cmap="viridis", shading="nearest")
    fig.colorbar(mesh, ax=ax, label=r"$|c_l^{a} - c_l^{b}|$ (log): inputs still told apart")
    ax.plot(d["sigma_w2"], np.minimum(6 * d["xi_c"], d["depth"]), "w--", lw=2,
            label=r"$6\,\xi_c$ predicted (mean field)")
    ax.set(xlabel=r"weight variance $\sigma_w^2$", ylabel="depth $l$ (layers)",
           ylim=(0, d["depth"]),
           title=rf"tanh, $\sigma_b^2$ = {SIGMA_B2}, width {d['width']}: "
                 rf"pairs with $c_0$ = {C_PAIR[0]} and {C_PAIR[1]}")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_relu(r: dict) -> Figure:
    """Left: ``q_l / q_0`` (log) with ``(sigma_w2/2)^l``; right: correlation at He's scale."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, sw2 in enumerate(r["scales"]):
        ax1.semilogy(r["layers"], np.exp(r["log_q"][sw2]), "o", ms=3, color=f"C{k}",
                     label=rf"measured, $\sigma_w^2$ = {sw2}")
        ax1.semilogy(r["layers"], (sw2 / 2.0) ** r["layers"], color=f"C{k}",
                     label=r"$(\sigma_w^2/2)^l$")
    ax1.set(xlabel="layer $l$", ylabel=r"length $q_l / q_0$ (log)",
            title=f"ReLU, width {r['width']}, geometric mean of {r['n_nets']} nets")
    ax1.legend(fontsize=8, ncol=2)
    ax2.plot(r["layers"], r["corr_he_theory"], label="correlation map")
    ax2.plot(r["layers"], r["corr_he"], "o", ms=3, label="measured")
    ax2.set(xlabel="layer $l$", ylabel="correlation $c_l$", ylim=(0, 1.02),
            title=r"ReLU at He's $\sigma_w^2 = 2$: $c_l \to 1$ slowly")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig
