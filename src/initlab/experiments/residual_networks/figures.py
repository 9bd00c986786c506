"""Figures of chapter 15 (residual networks): they draw what the experiments return.

Each figure is at most two panels side by side, ``plotting.MAX_WIDTH`` wide; measurements are
solid (band min..max over seeds), predictions dashed in the same colour; overflowed entries are
cut and marked, never drawn as inf.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

LABELS = {"plain": r"$\alpha=1$, $g=1$", "plain_he": r"$\alpha=1$, $g=2$",
          "scaled": r"$\alpha=1/\sqrt{L}$", "fixup": "Fixup", "rezero": "ReZero",
          "skipinit": "SkipInit", "pre_ln": "pre-LN", "post_ln": "post-LN"}
COLORS = {"plain": "C3", "plain_he": "C1", "scaled": "C0", "fixup": "C2", "rezero": "C4",
          "skipinit": "C5", "pre_ln": "C7", "post_ln": "C9"}
THEORY_KEY = {"fixup": "identity", "rezero": "identity", "skipinit": "identity"}


def _band(ax: plt.Axes, x: np.ndarray, Y: np.ndarray, v: str, ls: str = "-",
          log10: bool = False) -> None:
    """Geometric mean over seeds (finite columns only) and min..max band; ``log10``: draw
    ``log10`` of them on a linear axis (a log axis cannot reach float64's 1e308)."""
    keep = np.isfinite(Y).all(axis=0)
    x, Y = x[keep], Y[:, keep]
    f = np.log10 if log10 else (lambda a: a)
    ax.plot(x, f(np.exp(np.log(Y).mean(axis=0))), ls, color=COLORS[v], label=LABELS[v], lw=1.5)
    if len(Y) > 1:
        ax.fill_between(x, f(Y.min(axis=0)), f(Y.max(axis=0)), color=COLORS[v], alpha=0.2, lw=0)


def plot_forward_variance(growth: dict) -> Figure:
    """Left: ``log10(q_l / q_0)`` of the unnormalized stacks with the laws ``(1 + alpha^2 g)^l``,
    the ``g = 2`` stack cut where it overflowed (x). Right: identity inits, pre-LN and post-LN."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.6))
    l, th = growth["blocks"], growth["theory"]
    for v in ("plain", "plain_he", "scaled"):
        _band(left, l, growth["ratio"][v], v, log10=True)
        with np.errstate(divide="ignore"):
            law = np.log10(th[v])                             # inf where 3^l overflows
        cut = np.isfinite(law)
        left.plot(l[cut], law[cut], "--", color="k", lw=0.8)
    first = growth["plain_he_first_overflow"]
    if first > 0:  # overflowed: a cross at the last finite block of the mean curve
        last = np.log10(growth["ratio"]["plain_he"][:, :first]).mean(axis=0)[-1]
        left.plot([first - 1], [last], "x", color=COLORS["plain_he"], ms=9, mew=2,
                  label="overflow")
    left.set(xlabel="block $l$", ylabel=r"$\log_{10}(q_l / q_0)$", title="no normalization")
    for v in ("fixup", "rezero", "skipinit", "pre_ln", "post_ln"):
        Y = growth["q"][v] if v == "post_ln" else growth["ratio"][v]
        _band(right, l, Y, v, ls=":" if v in ("rezero", "skipinit") else "-")
    right.plot(l, th["pre_ln"], "--", color="k", lw=0.8, label="prediction")
    right.set(yscale="log", xlabel="block $l$", ylabel="$q_l / q_0$ (post-LN: $q_l$)",
              title="identity at init, LayerNorm")
    left.legend(loc="upper left", fontsize=10)
    right.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradients(grads: dict) -> Figure:
    """Top: RMS of ``dL/dx_l`` over its value at the top, per variant, with the predictions
    (dashed). Bottom: the first branch layer's weight-gradient norm per block, pre- versus
    post-LN (Xiong et al. 2020)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 6.0))
    l, th = grads["blocks"], grads["theory"]
    for v, Y in grads["ratio"].items():
        _band(top, l, Y, v, ls=":" if v == "rezero" else "-")
        if THEORY_KEY.get(v, v) in th:
            top.plot(l, th[THEORY_KEY.get(v, v)], "--", color="k", lw=0.8)
    top.set(yscale="log", xlabel="block $l$", ylabel=r"RMS $dL/dx_l$ / at top")
    top.legend(loc="upper right", ncol=3, fontsize=10)
    blocks = np.arange(1, grads["grad_n_blocks"] + 1)
    for v in ("pre_ln", "post_ln"):
        _band(bottom, blocks, grads["dW"][v], v)
    bottom.set(yscale="log", xlabel="block", ylabel=r"$\|dW\|$, first branch layer")
    bottom.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_training(trained: dict) -> Figure:
    """Left: test accuracy after the budget against depth (mean, band over seeds; a diverged
    run scores chance). Right: test accuracy per epoch at the deepest depth, runs that did not
    diverge."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.6))
    for v, acc in trained["acc"].items():
        plotting.curves_with_band(left, trained["depths"], acc, label=LABELS[v], color=COLORS[v])
        if trained["curves"][v]:
            curves = np.array(trained["curves"][v])
            plotting.curves_with_band(right, np.arange(curves.shape[1]), curves, color=COLORS[v])
    for ax in (left, right):
        ax.axhline(trained["train_chance"], color="0.5", ls=":", lw=1)
        ax.set_ylim(0, 1)
    left.set(xscale="log", xlabel="residual blocks", ylabel="test accuracy")
    right.set(xlabel="epoch", title=f"{trained['train_depth_deep']} blocks")
    plotting.integer_ticks(right, "x")
    left.legend(loc="lower left", fontsize=10)
    fig.tight_layout()
    return fig
