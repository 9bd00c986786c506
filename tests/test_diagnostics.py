"""Tests of initlab.diagnostics against independent references.

References: central finite differences and closed-form products for the Jacobian; exact
orthogonal spectra; hand-built networks whose dead / saturated units are known by construction;
a forward and backward pass written out in this file (softmax, tanh, ``1 - tanh^2``) for the
gradient statistics; the ReLU variance argument of He et al. (2015) for the depth profile.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import diagnostics as dg
from initlab.network import MLP
from initlab.residual import ResidualMLP
from initlab.train import History, train


def ortho(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-ish orthogonal matrix: Q of the QR of a Gaussian matrix (sign-fixed)."""
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def set_params(model: MLP, Ws: list[np.ndarray], bs: list[np.ndarray] | None = None) -> MLP:
    for l, W in enumerate(Ws):
        model.weights[l][...] = W
        model.biases[l][...] = 0.0 if bs is None else bs[l]
    return model


# ---------------------------------------------------------------------------------- Jacobian


@pytest.mark.parametrize("act,out_act", [("tanh", "identity"), ("sigmoid", "tanh"),
                                         ("elu", "sigmoid"), ("relu", "identity")])
def test_jacobian_matches_central_differences(act: str, out_act: str) -> None:
    rng = np.random.default_rng(0)
    model = MLP((5, 7, 6, 3), rng, activation=act, output_activation=out_act,
                bias_init="random_normal")
    for _ in range(100):  # relu: stay 1e-3 away from the kink (a nudge moves Z by ~1e-6)
        x = rng.normal(size=5)
        model.forward(x[None])
        if all(np.abs(Z).min() > 1e-3 for Z in model.Z[:-1]):
            break
    J = dg.input_output_jacobian(model, x)
    h = 1e-6
    fd = np.empty((3, 5))
    for k in range(5):
        e = np.zeros(5)
        e[k] = h
        fd[:, k] = (model.forward((x + e)[None], keep=False)[0]
                    - model.forward((x - e)[None], keep=False)[0]) / (2 * h)
    # central differences: truncation ~h^2 * f''' ~ 1e-12, rounding ~eps/h ~ 1e-10
    assert J.shape == (3, 5)
    np.testing.assert_allclose(J, fd, atol=1e-8, rtol=1e-7)


def test_jacobian_of_deep_linear_net_is_product_of_weights() -> None:
    rng = np.random.default_rng(1)
    sizes = (4, 6, 5, 3)
    model = MLP(sizes, rng, activation="identity", bias_init="random_normal")
    # out = ((x W0 + b0) W1 + b1) W2 + b2, so d out / dx = (W0 W1 W2)^T, whatever the biases
    expected = (model.weights[0] @ model.weights[1] @ model.weights[2]).T
    J = dg.input_output_jacobian(model, rng.normal(size=(1, 4)))
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-14)


def test_orthogonal_linear_net_singular_values_are_gain_to_the_depth() -> None:
    rng = np.random.default_rng(2)
    width, depth, gain = 8, 6, 1.1
    model = MLP((width,) * (depth + 1), rng, activation="identity")
    set_params(model, [gain * ortho(width, rng) for _ in range(depth)])
    s = dg.jacobian_singular_values(model, rng.normal(size=(10, width)), n_samples=4)
    assert s.shape == (4 * width,)
    np.testing.assert_allclose(s, gain**depth, rtol=1e-12)


def test_relu_jacobian_singular_values_are_not_isometric() -> None:
    # control: a deep ReLU net with He init has a spread spectrum, so the test above can fail
    rng = np.random.default_rng(3)
    model = MLP((16,) * 9, rng, activation="relu")
    s = dg.jacobian_singular_values(model, rng.normal(size=(3, 16)))
    assert s.shape == (3 * 16,)
    assert s.max() / max(s.min(), 1e-300) > 10.0


# ---------------------------------------------------------------------------- weight symmetry


def test_hidden_unit_similarity_constant_vs_random() -> None:
    const = dg.hidden_unit_similarity(np.full((6, 5), 0.3))
    assert const == {"n_distinct": 1, "max_cosine": 1.0, "max_abs_diff": 0.0}
    W = np.random.default_rng(4).normal(size=(30, 10))
    rand = dg.hidden_unit_similarity(W)
    assert rand["n_distinct"] == 10
    # 30-dim Gaussian vectors: cosine ~ N(0, 1/30); max over 45 pairs ~ 0.5, never near 1
    assert rand["max_cosine"] < 0.9
    cos = (W / np.linalg.norm(W, axis=0)).T @ (W / np.linalg.norm(W, axis=0))
    np.fill_diagonal(cos, -1)
    assert rand["max_cosine"] == pytest.approx(cos.max(), rel=1e-12)
    assert rand["max_abs_diff"] == pytest.approx(
        max(np.abs(W[:, i] - W[:, j]).max() for i in range(10) for j in range(10)), rel=1e-12)


def test_hidden_unit_similarity_groups_duplicates_zeros_and_biases() -> None:
    a, c = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 1.0])
    W = np.column_stack([a, c, a, a + 1e-14, np.zeros(3), np.zeros(3)])
    res = dg.hidden_unit_similarity(W, tol=1e-12)
    assert res["n_distinct"] == 3  # {a, a, a + 1e-14}, {c}, {0, 0}
    assert res["max_cosine"] == 1.0
    assert dg.hidden_unit_similarity(W, tol=0.0)["n_distinct"] == 4  # a + 1e-14 is its own
    # zero vs non-zero has cosine 0 by convention: [a, 0] -> 0
    assert dg.hidden_unit_similarity(np.column_stack([a, np.zeros(3)]))["max_cosine"] == 0.0
    # identical weights, different biases: distinct once the bias is part of the unit
    same = np.ones((3, 2))
    assert dg.hidden_unit_similarity(same)["n_distinct"] == 1
    assert dg.hidden_unit_similarity(same, b=np.array([0.0, 1.0]))["n_distinct"] == 2


def test_effective_ranks() -> None:
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=(7, 1)), rng.normal(size=(1, 5))
    assert dg.effective_rank(u @ v) == 1
    assert dg.entropy_effective_rank(u @ v) == pytest.approx(1.0, abs=1e-12)
    Q = ortho(6, rng)
    assert dg.effective_rank(Q) == 6
    assert dg.entropy_effective_rank(np.eye(9)) == pytest.approx(9.0, rel=1e-12)
    # s = (2, 1, 0): p = (2/3, 1/3), H = -(2/3 log 2/3 + 1/3 log 1/3)
    p = np.array([2 / 3, 1 / 3])
    assert dg.entropy_effective_rank(np.diag([2.0, 1.0, 0.0])) == pytest.approx(
        math.exp(-np.sum(p * np.log(p))), rel=1e-12)
    assert dg.effective_rank(np.diag([2.0, 1.0, 0.0])) == 2
    assert dg.effective_rank(np.diag([1.0, 1e-3]), tol=1e-2) == 1
    assert dg.entropy_effective_rank(np.zeros((3, 3))) == 0.0


# ------------------------------------------------------------------------------- layer stats


def test_dead_and_inactive_fractions_on_a_hand_built_relu_net() -> None:
    rng = np.random.default_rng(6)
    model = MLP((2, 4, 1), rng, activation="relu", output_activation="identity")
    # unit 0: z = x0 (alive); unit 1: z = -x0 - 10 < 0 always (dead); unit 2: z = 0 (dead,
    # z <= 0); unit 3: z = x1 + 10 > 0 always (alive)
    W0 = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    set_params(model, [W0, np.ones((4, 1))], [np.array([0.0, -10.0, 0.0, 10.0]), np.zeros(1)])
    X = rng.uniform(-1, 1, size=(50, 2))
    st = dg.layer_stats(model, X)
    assert st["dead_frac"][0] == 0.5
    assert st["inactive_frac"][0] == pytest.approx((np.sum(X[:, 0] <= 0) + 100) / 200)
    assert st["dead_frac"][1] == 0.0 and st["inactive_frac"][1] == 0.0  # identity: undefined
    assert st["saturated_frac"].tolist() == [0.0, 0.0]                 # relu: undefined


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_saturated_fraction_huge_vs_tiny_weights(act: str) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 10))
    huge = MLP((10, 50, 3), rng, activation=act, weight_init="random_normal")
    set_params(huge, [rng.normal(0, 100.0, size=(10, 50)), rng.normal(size=(50, 3))])
    # tanh: z ~ N(0, 100^2 * ||x||^2), ||x||^2 ~ 10; P(|tanh z| <= 0.97) = P(|z| < 2.1)
    # ~ 2 * 2.1 / (sqrt(2 pi) * 316) ~ 0.005 (sigmoid: |z| < 3.5, ~ 0.009)
    assert dg.layer_stats(huge, X)["saturated_frac"][0] > 0.95
    tiny = MLP((10, 50, 3), rng, activation=act)
    set_params(tiny, [rng.normal(0, 1e-3, size=(10, 50)), rng.normal(size=(50, 3))])
    # |z| < 1e-3 * 10 * max|x| ~ 0.05: tanh(z) < 0.05, sigmoid(z) in (0.48, 0.52)
    st = dg.layer_stats(tiny, X)
    assert st["saturated_frac"][0] == 0.0
    assert st["saturated_frac"][1] == 0.0  # identity output: undefined, 0.0


def manual_backprop(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray,
                    y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """dL/dZ_l and dL/dW_l of a tanh net with softmax cross-entropy, written out."""
    A, Zs, As = X, [], [X]
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        Z = A @ W + b
        A = np.tanh(Z) if l < len(Ws) - 1 else Z
        Zs.append(Z)
        As.append(A)
    p = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    dZ = (p - np.eye(A.shape[1])[y]) / len(X)
    dZs = [dZ]
    for l in range(len(Ws) - 1, 0, -1):
        dZ = (dZ @ Ws[l].T) * (1.0 - np.tanh(Zs[l - 1]) ** 2)
        dZs.append(dZ)
    dZs = dZs[::-1]
    return dZs, [As[l].T @ dZs[l] for l in range(len(Ws))]


def test_gradient_statistics_match_a_manual_backward_pass() -> None:
    rng = np.random.default_rng(8)
    model = MLP((6, 9, 8, 4), rng, activation="tanh", weight_init="glorot_uniform",
                bias_init="random_normal")
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 4, 40)
    dZs, dWs = manual_backprop(model.weights, model.biases, X, y)
    st = dg.layer_stats(model, X, y, lr=0.05)
    np.testing.assert_allclose(st["backprop_grad_std"], [d.std() for d in dZs], rtol=1e-10)
    np.testing.assert_allclose(st["grad_W_norm"], [np.sqrt(np.sum(d**2)) for d in dWs],
                               rtol=1e-10)
    np.testing.assert_allclose(st["grad_b_norm"],
                               [np.sqrt(np.sum(d.sum(axis=0) ** 2)) for d in dZs], rtol=1e-10)
    np.testing.assert_allclose(st["grad_W_std"], [d.std() for d in dWs], rtol=1e-10)
    expected = [math.log10(0.05 * dW.std() / W.std()) for dW, W in zip(dWs, model.weights,
                                                                       strict=True)]
    np.testing.assert_allclose(st["update_ratio"], expected, rtol=1e-10)
    # log10 is linear in lr: 10x the step is +1
    st10 = dg.layer_stats(model, X, y, lr=0.5)
    np.testing.assert_allclose(st10["update_ratio"] - st["update_ratio"], 1.0, rtol=1e-12)
    values = dg.layer_values(model, X, "grad", y=y)
    for v, d in zip(values, dZs, strict=True):
        np.testing.assert_allclose(v, d, rtol=1e-10, atol=1e-15)


def test_update_ratio_conventions_on_zero_init_never_nan() -> None:
    # zero weights, sigmoid hidden: A_1 = 0.5 so dW_1 != 0 on W_1 = 0 -> +inf; dZ_0 = dZ_1 W_1^T
    # = 0 so dW_0 = 0 -> -inf
    rng = np.random.default_rng(9)
    model = MLP((3, 4, 2), rng, activation="sigmoid", weight_init="zeros")
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, 10)
    st = dg.layer_stats(model, X, y)
    assert st["update_ratio"].tolist() == [-np.inf, np.inf]
    assert not any(np.isnan(v).any() for v in st.values())


def test_he_relu_deep_net_keeps_activation_std() -> None:
    # He et al. 2015: Var(W) = 2 / fan_in preserves E[z^2] through relu layers, so act_std is
    # constant in expectation. Finite width: ||a_{l+1}||^2 / ||a_l||^2 = (2/n) sum relu(g)^2
    # has variance 4/n * (E relu(g)^4 - (E relu(g)^2)^2) = 5/n, so log act_std wanders with
    # sd <= sqrt(5 L / n) / 2 = 0.22 over L = 10, n = 256; allow 4 sd.
    width, depth = 256, 10
    rng = np.random.default_rng(10)
    X = rng.normal(size=(200, 32))
    sd = math.sqrt(5 * depth / width) / 2
    he = MLP((32,) + (width,) * depth + (10,), rng, activation="relu", weight_init="he_normal")
    act_std = dg.layer_stats(he, X)["act_std"][:-1]
    assert np.all(np.abs(np.log(act_std / act_std[0])) < 4 * sd)
    # control: LeCun init (Var = 1 / fan_in) halves E[z^2] per layer, act_std falls by 2^-4.5
    lecun = MLP((32,) + (width,) * depth + (10,), rng, activation="relu",
                weight_init="lecun_normal")
    act_std = dg.layer_stats(lecun, X)["act_std"][:-1]
    assert abs(np.log(act_std[-1] / act_std[0])) > 4 * sd


def test_layer_values_and_histograms() -> None:
    rng = np.random.default_rng(11)
    model = MLP((5, 8, 6, 3), rng, activation="tanh")
    X = rng.normal(size=(30, 5))
    acts = dg.layer_values(model, X, "act")
    pre = dg.layer_values(model, X, "preact")
    assert [a.shape for a in acts] == [(30, 8), (30, 6), (30, 3)]
    np.testing.assert_allclose(acts[0], np.tanh(pre[0]), rtol=1e-15)
    density, edges = dg.histograms_by_layer(acts[:-1], bins=20)
    assert density.shape == (2, 20) and edges.shape == (21,)
    np.testing.assert_allclose((density * np.diff(edges)).sum(axis=1), 1.0, rtol=1e-12)
    # a range that cuts half of uniform samples: integrates to the fraction inside
    u = [np.linspace(-1, 1, 1000)]
    density, edges = dg.histograms_by_layer(u, bins=10, value_range=(0.0, 1.0))
    assert float((density * np.diff(edges)).sum()) == pytest.approx(0.5, abs=2e-3)


def test_gradient_norms_by_layer_from_history() -> None:
    rng = np.random.default_rng(12)
    model = MLP((4, 5, 3), rng)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    hist = train(model, X, y, rng=rng, epochs=2, batch_size=5, lr=0.1, progress=False)
    norms = dg.gradient_norms_by_layer(hist)
    assert norms.shape == (8, 2)
    np.testing.assert_array_equal(norms, np.array(hist.layer_grad_norms))
    np.testing.assert_array_equal(dg.gradient_norms_by_layer(hist.to_dict()), norms)
    with pytest.raises(ValueError, match="track_layer_norms"):
        dg.gradient_norms_by_layer(History())


# ------------------------------------------------------------------------------- validation


# --------------------------------------------------------------- a residual net, layer by layer


def layer_norm_rows(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=1, keepdims=True)
    return g * (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5) + b


def residual_by_hand(net: ResidualMLP, X: np.ndarray, y: np.ndarray, shift: dict | None = None
                     ) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """The ResidualMLP forward written out: each dense layer's ``(Z, A)`` and the loss.

    ``shift[k]`` is added to ``Z`` of dense layer ``k`` (to take ``dL/dZ`` by differences).
    """
    shift = shift or {}
    phi = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[net.activation.name]
    Zs: list[np.ndarray] = []
    As: list[np.ndarray] = []

    def dense(a: np.ndarray, W: np.ndarray, b: np.ndarray, f) -> np.ndarray:
        Zs.append(a @ W + b + shift.get(len(Zs), 0.0))
        As.append(f(Zs[-1]))
        return As[-1]

    ident = lambda z: z  # noqa: E731
    x = dense(X, net.W_in, net.b_in, ident)
    for l in range(net.n_blocks):
        h = layer_norm_rows(x, net.ln_gain[l], net.ln_bias[l]) if net.norm == "pre" else x
        for j in range(net.branch_depth):
            h = dense(h, net.W[l][j], net.b[l][j], phi if j < net.branch_depth - 1 else ident)
        x = x + net.alpha[l][0] * h
        if net.norm == "post":
            x = layer_norm_rows(x, net.ln_gain[l], net.ln_bias[l])
    if net.norm == "pre":
        x = layer_norm_rows(x, net.ln_gain[-1], net.ln_bias[-1])
    out = dense(x, net.W_out, net.b_out, ident)
    p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    return Zs, As, float(np.mean(-np.log(p[np.arange(len(y)), y])))


def central_diff(f, arr: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """``d f / d arr`` entry by entry, ``arr`` nudged in place and restored."""
    grad = np.zeros_like(arr)
    for i in np.ndindex(arr.shape):
        keep = arr[i]
        arr[i] = keep + h
        up = f()
        arr[i] = keep - h
        grad[i] = (up - f()) / (2 * h)
        arr[i] = keep
    return grad


@pytest.mark.parametrize("norm,act,learn_alpha,depth", [
    ("none", "tanh", False, 2), ("pre", "tanh", True, 2), ("post", "relu", True, 3)])
def test_layer_stats_of_a_residual_net_match_a_forward_written_out(
        norm: str, act: str, learn_alpha: bool, depth: int) -> None:
    rng = np.random.default_rng(21)
    net = ResidualMLP(3, 5, 3, 2, rng, branch_depth=depth, activation=act, alpha=0.7,
                      learn_alpha=learn_alpha, norm=norm)
    for p in net.parameters():  # no zero init (bias, LN bias) may hide a wrong term
        p[...] = rng.normal(0.0, 0.6, p.shape)
    y = rng.integers(0, 3, 6)
    while True:  # relu: no pre-activation within 1e-3 of the kink (differences cross it)
        X = rng.normal(size=(6, 3))
        Zs, As, _ = residual_by_hand(net, X, y)
        if act != "relu" or min(np.abs(Z).min() for Z in Zs) > 1e-3:
            break
    st = dg.layer_stats(net, X, y, lr=0.1)
    n_layers = net.n_blocks * depth + 2
    assert len(Zs) == n_layers and all(v.shape == (n_layers,) for v in st.values())
    close = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(st["preact_mean"], [Z.mean() for Z in Zs], **close)
    np.testing.assert_allclose(st["preact_std"], [Z.std() for Z in Zs], **close)
    np.testing.assert_allclose(st["act_mean"], [A.mean() for A in As], **close)
    np.testing.assert_allclose(st["act_std"], [A.std() for A in As], **close)
    Ws = [net.W_in, *(W for Ws in net.W for W in Ws), net.W_out]
    bs = [net.b_in, *(b for bs in net.b for b in bs), net.b_out]
    np.testing.assert_array_equal(st["weight_std"], [W.std() for W in Ws])
    # phi acts after branch layers 0..m-2 only; the input, last branch and output layers: none
    has_phi = [False, *([True] * (depth - 1) + [False]) * net.n_blocks, False]
    sat = [np.mean(np.abs(A) > 0.97) if f and act == "tanh" else 0.0
           for A, f in zip(As, has_phi, strict=True)]
    inactive = [np.mean(Z <= 0) if f and act == "relu" else 0.0
                for Z, f in zip(Zs, has_phi, strict=True)]
    np.testing.assert_array_equal(st["saturated_frac"], sat)
    np.testing.assert_array_equal(st["inactive_frac"], inactive)
    if act == "tanh":
        assert 0 < max(sat)
    else:
        assert 0 < max(inactive) < 1

    def loss() -> float:
        return residual_by_hand(net, X, y)[2]

    dWs = [central_diff(loss, W) for W in Ws]
    dbs = [central_diff(loss, b) for b in bs]
    shifts = {k: np.zeros_like(Z) for k, Z in enumerate(Zs)}
    dZs = [central_diff(lambda k=k: residual_by_hand(net, X, y, {k: shifts[k]})[2], shifts[k])
           for k in range(n_layers)]
    fd = dict(rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(st["grad_W_norm"], [np.linalg.norm(d) for d in dWs], **fd)
    np.testing.assert_allclose(st["grad_b_norm"], [np.linalg.norm(d) for d in dbs], **fd)
    np.testing.assert_allclose(st["grad_W_std"], [d.std() for d in dWs], **fd)
    np.testing.assert_allclose(st["backprop_grad_std"], [d.std() for d in dZs], **fd)
    ratio = [np.log10(0.1 * d.std() / W.std()) for d, W in zip(dWs, Ws, strict=True)]
    np.testing.assert_allclose(st["update_ratio"], ratio, rtol=1e-5)
    for got, want in zip(dg.layer_values(net, X, "grad", y=y), dZs, strict=True):
        np.testing.assert_allclose(got, want, **fd)
    for which, want in (("preact", Zs), ("act", As)):
        for got, ref in zip(dg.layer_values(net, X, which), want, strict=True):
            np.testing.assert_allclose(got, ref, **close)


def test_errors_name_the_bad_value() -> None:
    rng = np.random.default_rng(13)
    model = MLP((3, 4, 2), rng)
    X = rng.normal(size=(5, 3))
    with pytest.raises(ValueError, match="lr"):
        dg.layer_stats(model, X, rng.integers(0, 2, 5), lr=-1.0)
    with pytest.raises(ValueError, match="labels"):
        dg.layer_stats(model, X, np.array([0, 1, 5, 0, 1]))
    with pytest.raises(ValueError, match="'weights'"):
        dg.layer_values(model, X, which="weights")
    with pytest.raises(ValueError, match="needs the labels"):
        dg.layer_values(model, X, which="grad")
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        dg.input_output_jacobian(model, np.ones(4))
    with pytest.raises(ValueError, match="n_samples=6"):
        dg.jacobian_singular_values(model, X, n_samples=6)
    with pytest.raises(ValueError, match="2-D"):
        dg.effective_rank(np.ones(3))
    with pytest.raises(ValueError, match="at least 2 units"):
        dg.hidden_unit_similarity(np.ones((3, 1)))
    with pytest.raises(ValueError, match="NaN"):
        dg.entropy_effective_rank(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="MLP"):
        dg.layer_stats("not a model", X)
    big = MLP((3, 4, 4, 2), rng, activation="relu")
    set_params(big, [np.full((3, 4), 1e200), np.full((4, 4), 1e200), np.ones((4, 2))])
    with pytest.raises(ValueError, match=r"Z\[1\]"):
        dg.layer_stats(big, np.ones((2, 3)))
