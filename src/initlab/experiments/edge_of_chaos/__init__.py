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

Layout: the notebook's settings cell holds every size; each experiment takes them as keyword
arguments and returns one dict whose scalar entries are the numbers the page records (literal
keys, ``results.record_all``) and whose other entries are figure data for the ``plot_*``
functions of :mod:`.figures`; ``data/reference/12_edge_of_chaos.json`` checks them. The
finite-width simulation helpers (:func:`correlated_inputs`, :func:`propagate`,
:func:`grouped_inputs`, :func:`propagate_groups`) are this chapter's own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import activations, theory
from initlab._checks import check_int, check_positive
from initlab.experiments.edge_of_chaos.figures import (
    plot_distinguishability,
    plot_mean_field_slider,
    plot_phase_diagram,
    plot_relu,
    plot_trajectories,
)

#: Schoenholz et al. (2017) train their tanh networks at this bias variance.
SIGMA_B2 = 0.05
#: The two initial correlations of :func:`correlation_trajectories` and :func:`distinguishability`.
C_PAIR = (0.2, 0.8)


# ------------------------------------------------------------------------- 1. theory only


def phase_diagram(*, n_sigma_w2: int, n_sigma_b2: int, n_line: int, n_slice: int,
                  sigma_b2: float = SIGMA_B2) -> dict:
    """``chi_1`` and ``xi_c`` of tanh over a ``(sigma_w2, sigma_b2)`` grid, and the critical line.

    Grid: ``n_sigma_w2`` values of ``sigma_w2`` in ``[0.5, 4]`` by ``n_sigma_b2`` of the bias
    variance in ``[0, 0.3]`` (Poole et al. 2016, Fig. 1). ``critical`` is
    ``critical_sigma_w2`` at ``n_line`` bias variances ``sigma_b2_line``; ``xi_c_slice`` is
    ``xi_c`` at ``n_slice`` values ``sigma_w2_slice`` at bias variance ``sigma_b2``, where the
    critical point, ``chi_1`` there and ``q*`` are recorded. Arrays ``[sigma_b2, sigma_w2]``
    (``chi_1``, ``xi_c``, ``q_star``).
    """
    grid_w2 = np.linspace(0.5, 4.0, check_int(n_sigma_w2, "n_sigma_w2", minimum=2))
    grid_b2 = np.linspace(0.0, 0.3, check_int(n_sigma_b2, "n_sigma_b2", minimum=2))
    grid = theory.depth_scales_grid(grid_w2, grid_b2, "tanh")
    line_b2 = np.linspace(0.0, 0.3, check_int(n_line, "n_line", minimum=2))
    critical = np.array([theory.critical_sigma_w2(float(b), "tanh") for b in line_b2])
    w_slice = np.linspace(0.5, 4.0, check_int(n_slice, "n_slice", minimum=2))
    xi_slice = np.array([theory.depth_scales(float(w), sigma_b2, "tanh")["xi_c"]
                         for w in w_slice])
    crit_b = theory.critical_sigma_w2(sigma_b2, "tanh")
    return {
        "critical_tanh_b0": theory.critical_sigma_w2(0.0, "tanh"),
        "critical_tanh": crit_b,
        "chi_1_at_critical": theory.chi_1(crit_b, sigma_b2, "tanh"),
        "critical_relu_b0": theory.critical_sigma_w2(0.0, "relu"),
        "critical_relu_b005": theory.critical_sigma_w2(sigma_b2, "relu"),
        "q_star_critical": theory.fixed_point_q(crit_b, sigma_b2, "tanh"),
        "sigma_w2": grid_w2, "sigma_b2": grid_b2, "chi_1": grid["chi_1"],
        "xi_c": grid["xi_c"], "q_star": grid["q_star"], "sigma_b2_line": line_b2,
        "critical": critical,
        "sigma_w2_slice": w_slice, "xi_c_slice": xi_slice,
        "setup": {"sigma_b2": sigma_b2},
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


def correlation_trajectories(*, width: int, n_nets: int, depth: int, seed: int,
                             sigma_b2: float = SIGMA_B2, ordered: float = 1.0,
                             chaotic: float = 3.0,
                             correlations: Sequence[float] = C_PAIR) -> dict:
    """Measured versus predicted ``c_l`` for tanh in three phases at bias variance ``sigma_b2``.

    ``sigma_w2`` = ``ordered``, the critical value, ``chaotic``; inputs start at ``q*`` with
    ``correlations`` to a reference; ``n_nets`` independent nets of ``depth`` layers of
    ``width`` units, averaged. ``traj_max_err_sqrt_n`` is the largest
    ``|mean measured - theory| * sqrt(width)`` over phases, pairs and layers: finite-width
    fluctuations of a correlation are ``O(1 / sqrt(N))``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    n_nets = check_int(n_nets, "n_nets", minimum=1)
    phases = {"ordered": ordered, "critical": theory.critical_sigma_w2(sigma_b2, "tanh"),
              "chaotic": chaotic}
    measured, predicted = {}, {}
    for name, sw2 in phases.items():
        q_star = theory.fixed_point_q(sw2, sigma_b2, "tanh")
        runs = [propagate(correlated_inputs(correlations, q_star, width, rng), depth, sw2,
                          sigma_b2, "tanh", rng)[1][:, 1:] for _ in range(n_nets)]
        measured[name] = np.mean(runs, axis=0)                          # (depth + 1, k)
        predicted[name] = np.stack([theory.correlation_trajectory(c, depth, sw2, sigma_b2, "tanh")
                                    for c in correlations], axis=1)
    max_err = max(np.max(np.abs(measured[n] - predicted[n])) for n in phases)
    return {
        "traj_width": width,
        "traj_max_err_sqrt_n": float(max_err * math.sqrt(width)),
        "layers": np.arange(depth + 1), "phases": phases,
        "measured": measured, "theory": predicted,
        "setup": {"width": width, "n_nets": n_nets, "depth": depth, "seed": seed,
                  "sigma_b2": sigma_b2, "correlations": tuple(correlations)},
    }


def distinguishability(*, width: int, n_sigma_w2: int, depth: int, n_groups: int, seed: int,
                       sigma_b2: float = SIGMA_B2, sigma_w2_range: tuple[float, float] = (0.5, 4.0),
                       correlations: tuple[float, float] = C_PAIR) -> dict:
    """``Delta_l = |c_l^a - c_l^b|`` of two input pairs over ``(sigma_w2, depth)``, tanh.

    One random net of ``width`` units per ``sigma_w2`` (``n_sigma_w2`` values in
    ``sigma_w2_range``), depths ``0..depth``. ``n_groups`` groups of three inputs at ``q*`` (a
    reference and two rows at ``correlations`` with it, all ``3 n_groups`` directions
    orthogonal); ``c_l^a``, ``c_l^b`` are the group means, which averages down the
    ``O(1/sqrt(N))`` finite-width fluctuation. Also ``xi_c`` per ``sigma_w2``, and over the cells
    at depth ``>= 6 xi_c`` (mean field: ``Delta <= 0.6 e^{-6}`` = 0.0015):
    ``dist_delta_deep_max_ordered``, the largest in the ordered phase, where the fluctuations
    die out with ``1 - c``; ``dist_delta_deep_median_chaotic``, the median in the chaotic phase,
    where they do not (``dist_delta_deep_chaotic_sqrt_n``: the same times
    ``sqrt(width * n_groups)``, in units of the ``1/sqrt(N G)`` scale); and
    ``dist_delta_shallow_min``, the smallest ``Delta`` at depth ``<= xi_c`` and ``<= 10``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    n_groups = check_int(n_groups, "n_groups", minimum=1)
    sigma_w2 = np.linspace(*sigma_w2_range, check_int(n_sigma_w2, "n_sigma_w2", minimum=1))
    delta = np.empty((depth + 1, len(sigma_w2)))
    xi_c = np.empty(len(sigma_w2))
    for j, sw2 in enumerate(sigma_w2):
        q_star = theory.fixed_point_q(float(sw2), sigma_b2, "tanh")
        H = grouped_inputs(correlations, n_groups, q_star, width, rng)
        corr = propagate_groups(H, depth, float(sw2), sigma_b2, "tanh", rng)
        delta[:, j] = np.abs(corr[:, 0] - corr[:, 1])
        xi_c[j] = theory.depth_scales(float(sw2), sigma_b2, "tanh")["xi_c"]
    layers = np.arange(depth + 1)[:, None]
    deep = layers >= 6 * xi_c[None, :]
    shallow = (layers <= xi_c[None, :]) & (layers <= 10)
    ordered = (sigma_w2 < theory.critical_sigma_w2(sigma_b2, "tanh"))[None, :]
    median_chaotic = float(np.median(delta[deep & ~ordered]))
    return {
        "dist_width": width, "dist_n_groups": n_groups,
        "dist_delta_deep_max_ordered": float(delta[deep & ordered].max()),
        "dist_delta_deep_median_chaotic": median_chaotic,
        "dist_delta_deep_chaotic_sqrt_n": median_chaotic * math.sqrt(width * n_groups),
        "dist_delta_shallow_min": float(delta[shallow].min()),
        "sigma_w2": sigma_w2, "delta": delta, "xi_c": xi_c,
        "setup": {"width": width, "depth": depth, "sigma_b2": sigma_b2,
                  "correlations": tuple(correlations), "n_deep_cells": int(deep.sum()),
                  "n_shallow_cells": int(shallow.sum())},
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


def relu_propagation(*, width: int, n_nets: int, depth: int, seed: int,
                     scales: Sequence[float] = (1.5, 2.0, 2.5), c0: float = 0.2) -> dict:
    """ReLU, ``sigma_b2 = 0``: length ``q_l / q_0`` versus ``(sigma_w2 / 2)^l`` at ``scales``.

    ``n_nets`` nets of ``depth`` layers of ``width`` units per scale; inputs: one of ``q_0 = 1``
    and one at correlation ``c0`` with it. ``rate[sw2]`` is the least-squares slope of the
    mean ``log q_l`` on ``l`` (theory ``log(sigma_w2 / 2)``), ``relu_rate_err`` its largest
    error; ``relu_q_ratio_he`` the geometric-mean ``q_depth / q_0`` at He's ``sigma_w2 = 2``
    (theory 1; ``scales`` must hold 2.0). Also the correlation of the two inputs at
    ``sigma_w2 = 2`` against the map: with ``c* = 1`` ReLU nets slowly forget that inputs
    differed, at every ``sigma_w2``.
    """
    if 2.0 not in scales:
        raise ValueError(f"`scales` must contain He's sigma_w2 = 2.0, got {scales!r}")
    rng = np.random.default_rng(check_int(seed, "seed"))
    layers = np.arange(check_int(depth, "depth", minimum=1) + 1)
    log_q, rate, corr_he = {}, {}, []
    for sw2 in scales:
        logs = []
        for _ in range(check_int(n_nets, "n_nets", minimum=1)):
            q, corr = propagate(correlated_inputs((c0,), 1.0, width, rng), depth, sw2, 0.0,
                                "relu", rng)
            logs.append(np.log(q[:, 0]))
            if sw2 == 2.0:
                corr_he.append(corr[:, 1])
        log_q[sw2] = np.mean(logs, axis=0)
        rate[sw2] = float(np.polyfit(layers, log_q[sw2], 1)[0])
    corr_he = np.mean(corr_he, axis=0)
    corr_theory = theory.correlation_trajectory(c0, depth, 2.0, 0.0, "relu")
    return {
        "relu_width": width,
        "relu_rate_err": float(max(abs(rate[s] - math.log(s / 2.0)) for s in scales)),
        "relu_q_ratio_he": float(np.exp(log_q[2.0][-1])),
        "relu_corr_he_err": float(np.max(np.abs(corr_he - corr_theory))),
        "relu_corr_he_final": float(corr_he[-1]),
        "layers": layers, "log_q": log_q, "rate": rate, "corr_he": corr_he,
        "corr_he_theory": corr_theory,
        "setup": {"width": width, "n_nets": n_nets, "depth": depth, "scales": tuple(scales)},
    }


# ------------------------------------------------------------------- 5. explore the plane


def mean_field_explorer(phase: dict) -> dict:
    """The grid of :func:`phase_diagram` as frames of the page's slider, one per ``sigma_b2``.

    Per frame (a row of the grid): ``q*``, ``chi_1`` and ``xi_c`` against ``sigma_w2``, and the
    critical ``sigma_w2`` of that bias variance (``theory.critical_sigma_w2``, where
    ``chi_1 = 1`` and ``xi_c`` diverges). Recorded: the number of frames and, at the smallest
    and the largest bias variance of the slider, the critical ``sigma_w2`` and ``q*`` there
    (``q* = 0`` without bias: the line starts at ``sigma_w2 = 1``).
    """
    b2 = phase["sigma_b2"]
    critical = np.array([theory.critical_sigma_w2(float(b), "tanh") for b in b2])
    q_critical = [theory.fixed_point_q(float(w), float(b), "tanh") for w, b in zip(critical, b2,
                                                                                  strict=True)]
    return {
        "explore_n_frames": int(b2.size),
        "explore_sigma_b2_max": float(b2[-1]),
        "explore_critical_b2_min": float(critical[0]),
        "explore_critical_b2_max": float(critical[-1]),
        "explore_q_star_critical_b2_min": float(q_critical[0]),
        "explore_q_star_critical_b2_max": float(q_critical[-1]),
        "sigma_w2": phase["sigma_w2"], "sigma_b2": b2, "critical": critical,
        "q_star": phase["q_star"], "chi_1": phase["chi_1"], "xi_c": phase["xi_c"],
    }


# --------------------------------------------------------------- 6. predict, then run


def exercise_bias(*, sigma_b2: float, width: int, depth: int, seed: int) -> dict:
    """Exercise: the critical ``sigma_w2`` of tanh at bias variance ``sigma_b2``, its ``q*``,
    and one random net of ``width`` units and ``depth`` layers at that point: the measured
    length ``q_depth`` of an input started at ``q = 1`` (mean field: it converges to ``q*``)."""
    critical = theory.critical_sigma_w2(sigma_b2, "tanh")
    rng = np.random.default_rng(check_int(seed, "seed"))
    q, _ = propagate(correlated_inputs((), 1.0, width, rng), depth, critical, sigma_b2, "tanh",
                     rng)
    return {
        "ex_bias_sigma_b2": float(sigma_b2), "ex_bias_critical": float(critical),
        "ex_bias_q_star": float(theory.fixed_point_q(critical, sigma_b2, "tanh")),
        "ex_bias_q_measured": float(q[-1, 0]), "ex_bias_depth": depth,
    }


def exercise_depth_scale(*, sigma_w2: float, width: int, depth: int, n_groups: int, seed: int,
                         sigma_b2: float = SIGMA_B2) -> dict:
    """Exercise: tanh at ``sigma_w2``: the depth scale ``xi_c``, and ``Delta_l`` of the two
    input pairs (:func:`distinguishability`'s measure, ``n_groups`` groups, one net) at the
    layer nearest ``6 xi_c`` (at most ``depth``), measured and from the correlation map."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    q_star = theory.fixed_point_q(sigma_w2, sigma_b2, "tanh")
    corr = propagate_groups(grouped_inputs(C_PAIR, n_groups, q_star, width, rng), depth,
                            sigma_w2, sigma_b2, "tanh", rng)
    xi_c = theory.depth_scales(sigma_w2, sigma_b2, "tanh")["xi_c"]
    layer = int(round(min(6 * xi_c, depth)))
    pred = [theory.correlation_trajectory(c, depth, sigma_w2, sigma_b2, "tanh") for c in C_PAIR]
    return {
        "ex_xi_sigma_w2": float(sigma_w2), "ex_xi_c": float(xi_c), "ex_xi_layer": layer,
        "ex_xi_delta": float(abs(corr[layer, 0] - corr[layer, 1])),
        "ex_xi_delta_pred": float(abs(pred[0][layer] - pred[1][layer])),
        "ex_xi_delta_first": float(abs(corr[1, 0] - corr[1, 1])),
    }


__all__ = ["C_PAIR", "SIGMA_B2", "correlated_inputs", "correlation_trajectories",
           "distinguishability", "exercise_bias", "exercise_depth_scale",
           "grouped_inputs", "mean_field_explorer", "phase_diagram", "plot_distinguishability",
           "plot_mean_field_slider", "plot_phase_diagram", "plot_relu", "plot_trajectories",
           "propagate", "propagate_groups", "relu_propagation"]
