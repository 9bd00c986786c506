"""Chapter 12, the edge of chaos: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.edge_of_chaos` returned (they compute nothing new): the phase
diagram of tanh with its depth scale, measured against predicted correlation trajectories,
the distinguishability heatmap with the predicted ``6 xi_c``, and ReLU's length and
correlation through depth. Every figure fits the book's text column (``plotting.MAX_WIDTH``):
at most two panels side by side, stacked otherwise.

Shapes: as in the experiment dicts; grids ``[sigma_b2, sigma_w2]``, trajectories
``(depth + 1, k)``, the heatmap ``(depth + 1, n_sigma_w2)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from initlab.plotting import integer_ticks


def plot_phase_diagram(pd_: dict) -> Figure:
    """Top: ``chi_1`` heatmap with the critical line; bottom: ``xi_c`` and ``6 xi_c`` at one
    ``sigma_b2`` (log scale), diverging at the critical point. Stacked, one column wide."""
    sigma_b2 = pd_["setup"]["sigma_b2"]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.3, 7.6), layout="constrained")
    mesh = ax1.pcolormesh(pd_["sigma_w2"], pd_["sigma_b2"], pd_["chi_1"], cmap="RdBu_r",
                          vmin=0.0, vmax=2.0, shading="nearest")
    fig.colorbar(mesh, ax=ax1, label=r"$\chi_1$ (gradient growth per layer)")
    ax1.plot(pd_["critical"], pd_["sigma_b2_line"], "k-", lw=2,
             label=r"critical line $\chi_1 = 1$")
    ax1.axhline(sigma_b2, color="k", ls=":", lw=1,
                label=rf"$\sigma_b^2 = {sigma_b2}$ (lower panel)")
    ax1.set(xlabel=r"weight variance $\sigma_w^2$ (Var(w) $\times$ fan_in)",
            ylabel=r"bias variance $\sigma_b^2$", title="tanh: ordered (blue) vs chaotic (red)")
    ax1.legend(loc="upper left")
    xi = np.where(np.isfinite(pd_["xi_c_slice"]), pd_["xi_c_slice"], np.nan)
    ax2.semilogy(pd_["sigma_w2_slice"], xi, label=r"$\xi_c$")
    ax2.semilogy(pd_["sigma_w2_slice"], 6 * xi, "--", label=r"$6\,\xi_c$")
    ax2.axvline(pd_["critical_tanh"], color="k", ls=":",
                label=rf"critical $\sigma_w^2$ = {pd_['critical_tanh']:.3f}")
    ax2.set(xlabel=r"weight variance $\sigma_w^2$", ylabel="depth scale (layers, log)",
            title=rf"tanh, $\sigma_b^2 = {sigma_b2}$: depth scale of correlations")
    ax2.legend(loc="upper right")
    return fig


def plot_trajectories(tr: dict) -> Figure:
    """Measured (points) versus mean-field (lines) correlation per layer, one panel per phase,
    2 x 2 with the legend in the fourth place."""
    setup = tr["setup"]
    fig, axes = plt.subplots(2, 2, figsize=(6.3, 6.0), sharex=True, sharey=True)
    for ax, (name, sw2) in zip(axes.flat, tr["phases"].items(), strict=False):
        for k, c0 in enumerate(setup["correlations"]):
            ax.plot(tr["layers"], tr["theory"][name][:, k], color=f"C{k}",
                    label=f"theory, $c_0$ = {c0}")
            ax.plot(tr["layers"], tr["measured"][name][:, k], "o", ms=3, color=f"C{k}",
                    label=f"measured, $c_0$ = {c0}")
        ax.set_title(rf"{name}: $\sigma_w^2$ = {sw2:.2f}")
        integer_ticks(ax, "x")
    for ax in axes[:, 0]:
        ax.set_ylabel("correlation $c_l$")
    for ax in axes[1]:
        ax.set_xlabel("layer $l$")
    axes[0, 1].xaxis.set_tick_params(labelbottom=True)   # above the empty place
    spare = axes[1, 1]
    spare.set_visible(False)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="center",
               bbox_to_anchor=(0.76, 0.27))
    fig.tight_layout()
    return fig


def plot_distinguishability(d: dict) -> Figure:
    """Heatmap of ``Delta_l`` over ``(sigma_w2, depth)``, log colour, with ``6 xi_c`` on top."""
    setup = d["setup"]
    depth, (c_a, c_b) = setup["depth"], setup["correlations"]
    fig, ax = plt.subplots(figsize=(6.3, 4.4))
    floor = 1e-4
    mesh = ax.pcolormesh(d["sigma_w2"], np.arange(depth + 1), np.maximum(d["delta"], floor),
                         norm=LogNorm(vmin=floor, vmax=1.0), cmap="viridis", shading="nearest")
    fig.colorbar(mesh, ax=ax, label=r"$\Delta_l = |c_l^{a} - c_l^{b}|$ (log)")
    ax.plot(d["sigma_w2"], np.minimum(6 * d["xi_c"], depth), "w--", lw=2,
            label=r"$6\,\xi_c$ (mean field)")
    ax.set(xlabel=r"weight variance $\sigma_w^2$", ylabel="depth $l$ (layers)",
           ylim=(0, depth), title=rf"pairs with $c_0$ = {c_a} and {c_b}")
    integer_ticks(ax, "y")
    ax.legend(loc="upper left", labelcolor="white", frameon=True, facecolor="0.25")
    fig.tight_layout()
    return fig


def plot_relu(r: dict) -> Figure:
    """Top: ``q_l / q_0`` (log) with ``(sigma_w2/2)^l``; bottom: correlation at He's scale."""
    setup = r["setup"]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.3, 7.0), sharex=True)
    for k, sw2 in enumerate(setup["scales"]):
        ax1.semilogy(r["layers"], np.exp(r["log_q"][sw2]), "o", ms=3, color=f"C{k}",
                     label=rf"measured, $\sigma_w^2$ = {sw2}")
        ax1.semilogy(r["layers"], (sw2 / 2.0) ** r["layers"], color=f"C{k}",
                     label=r"$(\sigma_w^2/2)^l$")
    ax1.set(ylabel=r"length $q_l / q_0$ (log)", title="ReLU: length through depth")
    ax1.legend(ncol=2, loc="upper left")
    ax2.plot(r["layers"], r["corr_he_theory"], label="correlation map")
    ax2.plot(r["layers"], r["corr_he"], "o", ms=3, label="measured")
    ax2.set(xlabel="layer $l$", ylabel="correlation $c_l$", ylim=(0, 1.02),
            title=r"ReLU at He's $\sigma_w^2 = 2$: $c_l \to 1$ slowly")
    ax2.legend(loc="lower right")
    integer_ticks(ax2, "x")
    fig.tight_layout()
    return fig


def plot_mean_field_slider(ex: dict) -> str:
    """The page's slider over ``sigma_b2`` (:func:`.mean_field_explorer`), as offline HTML:
    ``q*`` (top), ``chi_1`` (middle) and ``xi_c``, ``6 xi_c`` (bottom, log) of tanh against
    ``sigma_w2``, the critical ``sigma_w2`` dotted; the same axes in every frame."""
    from initlab import interactive

    fig, axes = plt.subplots(3, 1, figsize=(6.3, 7.2), sharex=True, layout="constrained")
    w2 = ex["sigma_w2"]
    (q_line,) = axes[0].plot(w2, ex["q_star"][0], "o-", ms=3)
    (chi_line,) = axes[1].plot(w2, ex["chi_1"][0], "o-", ms=3)
    (xi_line,) = axes[2].plot(w2, ex["xi_c"][0], "o-", ms=3, label=r"$\xi_c$")
    (xi6_line,) = axes[2].plot(w2, 6 * ex["xi_c"][0], "--", label=r"$6\,\xi_c$")
    marks = [ax.axvline(ex["critical"][0], color="k", ls=":", lw=1) for ax in axes]
    axes[1].axhline(1.0, color="0.5", lw=0.8)
    finite = ex["xi_c"][np.isfinite(ex["xi_c"])]
    axes[0].set(ylabel=r"fixed length $q^*$", ylim=(0, 1.05 * np.max(ex["q_star"])))
    axes[1].set(ylabel=r"$\chi_1$ (per layer)", ylim=(0, 1.05 * np.max(ex["chi_1"])))
    axes[2].set(yscale="log", ylabel="depth scale (layers)",
                ylim=(0.5 * finite.min(), 6 * 1.5 * finite.max()),
                xlabel=r"weight variance $\sigma_w^2$ (Var(w) $\times$ fan_in)")
    axes[2].legend(loc="upper right")

    def draw(i: int) -> None:
        xi = np.where(np.isfinite(ex["xi_c"][i]), ex["xi_c"][i], np.nan)
        q_line.set_ydata(ex["q_star"][i])
        chi_line.set_ydata(ex["chi_1"][i])
        xi_line.set_ydata(xi)
        xi6_line.set_ydata(6 * xi)
        for mark in marks:
            mark.set_xdata([ex["critical"][i]] * 2)

    labels = [rf"tanh, bias variance $\sigma_b^2$ = {b:.3g}: critical $\sigma_w^2$ = "
              rf"{c:.3f} (dotted)"
              for b, c in zip(ex["sigma_b2"], ex["critical"], strict=True)]
    alt = ("Three stacked panels against the weight variance for tanh, at the bias variance the "
           "slider selects: the fixed length q*, chi_1 with a line at 1, and the depth scale "
           "xi_c and 6 xi_c on a log scale, peaking at the dotted critical weight variance.")
    return interactive.slider(fig, draw, labels, alt=alt)
