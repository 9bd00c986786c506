"""Chapter 7: the one-unit recurrent net of Pascanu, Mikolov and Bengio (2013), and descent on it.

What: ``x_t = w * sigma(x_{t-1}) + b`` for ``t = 1..T`` from ``x_0``, loss
``L(w) = (x_T - target)^2``. For fixed ``b`` the map has two stable fixed points over a range of
``w``; which one ``x_T`` ends near switches abruptly at a critical ``w``, so ``L(w)`` has a cliff
there, and ``dL/dw`` (back-propagated through time, :func:`rnn_loss_grad`) is huge on the
cliff's wall (Pascanu et al. 2013, sec. 3 and Fig. 6). :func:`loss_landscape` maps it;
:func:`descend` runs gradient descent on ``w`` from many starts at once, clipped
(``g <- g * c / |g|`` when ``|g| > c``) or not; :func:`summary` scores each start.

Shapes: ``w`` arguments are arrays of any shape (one independent scalar net per entry,
vectorized). Everything here is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from initlab import activations
from initlab._checks import check_choice, check_int, check_positive

#: The recurrent net of the chapter: sigmoid unit (as in Pascanu et al.'s one-unit example),
#: bias b = -3 (two stable fixed points for w in about [5.47, 8.46]), x_0 = 0.5, T = 20 steps,
#: and a target on the upper branch close to the cliff.
RNN = {"b": -3.0, "x0": 0.5, "T": 20, "target": 2.0, "sigma": "sigmoid"}
#: A run "converged" if its final loss is below this: |x_T - target| < 0.32, while the other
#: fixed point (x_T < -2.5) has loss > 20.
CONVERGED_LOSS = 0.1
#: A run "ended far away" if its final w is farther than this from the minimizer.
FAR = 1.0


def rnn_states(w: np.ndarray, b: float, x0: float, T: int, sigma: str = "sigmoid") -> np.ndarray:
    """States ``x_0..x_T`` of ``x_t = w * sigma(x_{t-1}) + b``, one net per entry of ``w``.

    Returns ``(T + 1, *w.shape)``.
    """
    T = check_int(T, "T", minimum=1)
    act = activations.get(check_choice(sigma, "sigma", ("sigmoid", "tanh")))
    w = np.asarray(w, dtype=np.float64)
    xs = np.empty((T + 1, *w.shape))
    xs[0] = x0
    for t in range(1, T + 1):
        xs[t] = w * act.f(xs[t - 1]) + b          # x_t = w sigma(x_{t-1}) + b
    return xs


def rnn_loss_grad(w: np.ndarray, b: float, x0: float, T: int, target: float,
                  sigma: str = "sigmoid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``L = (x_T - target)^2`` and its gradients ``dL/dw``, ``dL/db`` by backprop through time.

    With ``delta_t = dL/dx_t``: ``delta_T = 2 (x_T - target)``;
    ``dL/dw = sum_t delta_t sigma(x_{t-1})``, ``dL/db = sum_t delta_t``;
    ``delta_{t-1} = delta_t * w * sigma'(x_{t-1})``. The product of the factors
    ``w sigma'(x)`` over time is what explodes near the cliff (Pascanu et al. 2013, eq. 7).
    All three outputs have the shape of ``w``.
    """
    act = activations.get(check_choice(sigma, "sigma", ("sigmoid", "tanh")))
    w = np.asarray(w, dtype=np.float64)
    xs = rnn_states(w, b, x0, T, sigma)
    delta = 2.0 * (xs[-1] - target)
    grad_w, grad_b = np.zeros_like(w), np.zeros_like(w)
    for t in range(T, 0, -1):
        s = act.f(xs[t - 1])
        grad_w += delta * s                        # dx_t/dw = sigma(x_{t-1})
        grad_b += delta                            # dx_t/db = 1
        delta = delta * w * act.df(xs[t - 1], s)   # dx_t/dx_{t-1} = w sigma'(x_{t-1})
    return (xs[-1] - target) ** 2, grad_w, grad_b


def loss_landscape(w_min: float = 3.0, w_max: float = 11.0, n: int = 4001,
                   **rnn: float) -> dict:
    """``L(w)`` and ``|dL/dw|`` on ``n`` points of ``[w_min, w_max]`` (``rnn`` overrides RNN).

    Also: the minimizer ``w_star`` on the grid and its loss, the cliff ``w_cliff`` (where
    ``|dL/dw|`` peaks, ``grad_peak``), their distance ``gap``, and ``loss_low``, the smallest
    loss left of the cliff (on the other fixed point).
    """
    n = check_int(n, "n", minimum=3)
    p = {**RNN, **rnn}
    w = np.linspace(w_min, w_max, n)
    loss, grad, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
    i_star, i_cliff = int(np.argmin(loss)), int(np.argmax(np.abs(grad)))
    left = w < w[i_cliff] - 0.05
    return {"w": w, "loss": loss, "abs_grad": np.abs(grad), "w_star": float(w[i_star]),
            "loss_star": float(loss[i_star]), "w_cliff": float(w[i_cliff]),
            "grad_peak": float(np.abs(grad[i_cliff])), "gap": float(w[i_star] - w[i_cliff]),
            "loss_low": float(loss[left].min()), **p}


def descend(w0: np.ndarray, lr: float, steps: int, clip: float | None = None,
            **rnn: float) -> dict:
    """Gradient descent on ``w`` from every entry of ``w0`` at once (``rnn`` overrides RNN).

    ``w <- w - lr * g`` with ``g = dL/dw``, clipped to ``g * clip / |g|`` when
    ``|g| > clip`` (for one parameter, clipping by norm and by value coincide). A run whose
    ``w`` or loss stops being finite is frozen and flagged ``diverged``. Returns ``w``,
    ``loss``, ``abs_grad`` (before clipping) and ``clipped``, each ``(steps + 1, n_starts)``
    (the gradient entries of the last row are those at the final ``w``, never applied).
    """
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    if clip is not None:
        check_positive(clip, "clip")
    p = {**RNN, **rnn}
    w = np.array(w0, dtype=np.float64).ravel()
    out = {k: np.zeros((steps + 1, w.size)) for k in ("w", "loss", "abs_grad")}
    out["clipped"] = np.zeros((steps + 1, w.size), dtype=bool)
    diverged = np.zeros(w.size, dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            loss, g, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
            diverged |= ~(np.isfinite(loss) & np.isfinite(g))
            g = np.where(diverged, 0.0, g)
            out["w"][k], out["loss"][k], out["abs_grad"][k] = w, loss, np.abs(g)
            if clip is not None:
                out["clipped"][k] = np.abs(g) > clip
                g = np.where(np.abs(g) > clip, g * clip / np.abs(g), g)   # g <- g c / |g|
            if k < steps:
                w = w - lr * g
    out["diverged"] = diverged
    return out


def summary(run: dict, w_star: float) -> dict:
    """Per-start outcome of :func:`descend`, each entry ``(n_starts,)``.

    Final loss and ``w``; ``converged`` (final loss below ``CONVERGED_LOSS``), ``far`` (final
    ``w`` more than ``FAR`` from ``w_star``), ``diverged``; the largest gradient met, the
    fraction of clipped steps, the longest step, and ``n_throws``: steps that increased ``w``
    by more than ``FAR``. Descending from the right, ``w`` only grows like that when the
    wall's gradient (``dL/dw << 0`` there) throws it.
    """
    final_loss, final_w = run["loss"][-1], run["w"][-1]
    finite = ~run["diverged"]
    return {"final_loss": np.where(finite, final_loss, np.inf), "final_w": final_w,
            "converged": finite & (final_loss < CONVERGED_LOSS),
            "far": finite & (np.abs(final_w - w_star) > FAR), "diverged": run["diverged"],
            "max_grad": np.nanmax(np.where(finite, run["abs_grad"], np.nan).T, axis=1),
            "clip_frac": run["clipped"][:-1].mean(axis=0),
            "n_throws": (np.diff(run["w"], axis=0) > FAR).sum(axis=0),
            "max_step": np.abs(np.diff(run["w"], axis=0)).max(axis=0)}


def bptt_fd_error(w: Sequence[float], h: float = 1e-6) -> float:
    """Largest relative gap between BPTT ``dL/dw`` and central differences, at points ``w``.

    ``(L(w + h) - L(w - h)) / (2 h)``: truncation error ``O(h^2 L''')``, rounding
    ``O(eps L / h)``; relative to ``max(|dL/dw|, 1)``.
    """
    w = np.asarray(w, dtype=np.float64)
    p = RNN
    _, g, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
    lp = rnn_loss_grad(w + h, p["b"], p["x0"], p["T"], p["target"], p["sigma"])[0]
    lm = rnn_loss_grad(w - h, p["b"], p["x0"], p["T"], p["target"], p["sigma"])[0]
    return float(np.max(np.abs((lp - lm) / (2 * h) - g) / np.maximum(np.abs(g), 1.0)))
