"""The training loop: shuffled minibatch SGD, optional clipping, a full history.

Why: the book's experiments differ only in their starting weights, so they share one loop
whose every source of randomness is the ``rng`` argument (the per-epoch shuffle), whose
every step is recorded (loss, gradient norms, whether it was clipped), and which stops
cleanly when training diverges: a non-finite loss or gradient ends the run and is recorded
as ``History.diverged_at`` (the step index), never passed on as NaN and never printed as a
numpy RuntimeWarning.

Shapes: ``X`` is ``(n, n_in)`` with rows as examples; ``y`` is ``(n,)`` int labels for the
cross-entropy losses, or ``(n, n_out)`` targets for mean squared error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from initlab import datasets, losses, optim
from initlab._checks import check_finite_array, check_int, check_positive, check_rng
from initlab.network import MLP
from initlab.optim import SGD, Adam, clip_scale, global_norm

#: ``step_hook(model, idx) -> context manager``: see :func:`train`.
StepHook = Callable[[MLP, np.ndarray], AbstractContextManager]


@dataclass
class History:
    """What happened during :func:`train`.

    Per step: ``loss``, ``grad_norm`` (global, before clipping), ``layer_grad_norms``
    (``||dW_l||`` per dense layer, before clipping: the weights ``model.layer_groups()`` names,
    in forward order; a model without that method is read as ``[W, b]`` pairs), ``clipped``.
    Per epoch (index 0 = before training): ``train_acc``, ``test_acc``, ``epoch_loss`` (mean
    loss over the epoch's steps; index 0 is the initial full-train-set loss). ``diverged_at``
    is the step at which the loss or gradient stopped being finite (``None`` if it never did).
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    layer_grad_norms: list[list[float]] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    diverged_at: int | None = None

    @property
    def diverged(self) -> bool:
        """True if training stopped on a non-finite loss or gradient."""
        return self.diverged_at is not None

    @property
    def final_train_acc(self) -> float:
        """Train accuracy after the last completed epoch."""
        return self.train_acc[-1]

    @property
    def final_test_acc(self) -> float:
        """Test accuracy after the last completed epoch (NaN-free: raises if no test set)."""
        if not self.test_acc:
            raise ValueError("train() was called without X_test/y_test")
        return self.test_acc[-1]

    def to_dict(self) -> dict:
        """Plain-Python dict (JSON-serialisable)."""
        return asdict(self)


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose predicted class equals ``y`` (``(n,)`` int labels)."""
    return float(np.mean(model.predict(X) == np.asarray(y)))


def sgd_step(
    model: MLP,
    optimizer: SGD | Adam,
    Xb: np.ndarray,
    yb: np.ndarray,
    loss_fn: losses.Loss,
    clip_norm: float | None = None,
    clip_value: float | None = None,
) -> tuple[float, float, list[np.ndarray], bool]:
    """One forward, backward and update on a minibatch.

    Returns ``(loss, grad_norm_before_clipping, grads_before_clipping, clipped)``. If the
    loss or the gradient is not finite the parameters are left untouched. For an
    :class:`~initlab.network.MLP` the step runs with ``model.reuse_buffers`` on: the
    returned ``grads`` (and ``model.Z``, ``model.A``) are the model's buffers, valid until
    the next step with the same batch size; copy them to keep them longer. Clipped
    gradients are written to ``optimizer.scratch`` (see :class:`~initlab.optim.SGD`), so
    the returned ``grads`` stay unclipped and the step allocates no array.
    """
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if value is not None:
            check_positive(value, name)
    with (np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"),
          _reusing_buffers(model)):  # Z, A and grads go to the model's buffers (see MLP)
        out = model.forward(Xb, keep=True, check=False)
        loss, dout = loss_fn(out, yb)
        grads = model.backward(dout)
        norm = global_norm(grads)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            return loss, norm, grads, False
        # g * min(1, clip_norm / ||g||), then clamped to [-clip_value, clip_value]: the
        # optimizer clips each gradient into its scratch as it goes (grads stay unclipped)
        scale = None if clip_norm is None else clip_scale(norm, clip_norm)
        clipped = scale is not None
        if clip_value is not None:  # some |g_i| > c  <=>  max g > c or min g < -c
            clipped = clipped or any(g.max() > clip_value or g.min() < -clip_value
                                     for g in grads)
        optimizer.step(grads, grad_scale=scale, clip_value=clip_value)
    return loss, norm, grads, bool(clipped)


@contextmanager
def _reusing_buffers(model: MLP) -> Iterator[None]:
    """Turn an MLP's ``reuse_buffers`` on for one step, then off (other models: no-op)."""
    if not isinstance(model, MLP) or model.reuse_buffers:
        yield
        return
    model.reuse_buffers = True
    try:
        yield
    finally:
        model.reuse_buffers = False


def _check_labels(y: np.ndarray, n: int, name: str) -> np.ndarray:
    y = check_finite_array(y, name)
    if len(y) != n:
        raise ValueError(f"`{name}` has {len(y)} rows but X has {n}")
    return y


def train(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    rng: np.random.Generator,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float = 0.0,
    loss: str | losses.Loss = "softmax_cross_entropy",
    clip_norm: float | None = None,
    clip_value: float | None = None,
    optimizer: str = "sgd",
    lr_mult: Sequence[float] | None = None,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    track_layer_norms: bool = True,
    on_epoch: Callable[[int, MLP], None] | None = None,
    step_hook: StepHook | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` in place with minibatch SGD (or Adam) and return its :class:`History`.

    Each epoch draws a fresh permutation of the rows from ``rng`` and walks through it in
    batches of ``batch_size`` (the last batch may be smaller). ``on_epoch(epoch, model)``
    is called before training (epoch 0) and after each epoch. ``step_hook(model, idx)``, if
    given, is called before each step with the batch's row indices and returns a context
    manager the step runs inside: dropout (:func:`initlab.dropout.hook`) or noise injection
    change the model for one step and restore it, with no copy of this loop. ``progress``: a
    tqdm bar over epochs (``None``: only when attached to a terminal). ``optimizer``:
    ``"sgd"`` (with ``momentum``) or ``"adam"``; ``lr_mult``: one learning-rate multiplier per
    parameter array of ``model.parameters()`` (see :func:`initlab.optim.make`).
    """
    check_rng(rng)
    epochs = check_int(epochs, "epochs", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(lr, "lr")
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if value is not None:
            check_positive(value, name)
    X = model.check_input(X)
    y = _check_labels(y, len(X), "y")
    has_test = X_test is not None and y_test is not None
    if has_test:
        X_test = model.check_input(X_test)
        y_test = _check_labels(y_test, len(X_test), "y_test")
    loss_fn = losses.get(loss)
    classify = loss_fn is not losses.mean_squared_error
    opt = optim.make(optimizer, model.parameters(), lr=lr, momentum=momentum, lr_mult=lr_mult)
    hist = History()
    weight_idx = ([i for i, _ in model.layer_groups()] if hasattr(model, "layer_groups")
                  else range(0, len(model.parameters()), 2))  # the grads that are dW_l

    def end_of_epoch(epoch: int, mean_loss: float) -> None:
        hist.epoch_loss.append(mean_loss)
        if classify:
            # weights that overflowed in the last step warn here; the next step reports it
            with np.errstate(all="ignore"):
                hist.train_acc.append(accuracy(model, X, y))
                if has_test:
                    hist.test_acc.append(accuracy(model, X_test, y_test))
        if on_epoch is not None:
            on_epoch(epoch, model)

    with np.errstate(all="ignore"):
        initial_loss = loss_fn(model.forward(X, keep=False, check=False), y)[0]
    if not math.isfinite(initial_loss):  # e.g. weights so large the logits overflow
        hist.diverged_at = 0
        return hist
    end_of_epoch(0, float(initial_loss))
    n, step = len(X), 0
    bar_off = None if progress is None else not progress  # None: tqdm shows only on a tty
    for epoch in tqdm(range(1, epochs + 1), disable=bar_off, desc="epochs", leave=False):
        order = rng.permutation(n)
        epoch_losses = []
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            with nullcontext() if step_hook is None else step_hook(model, idx):
                loss_value, norm, grads, clipped = sgd_step(
                    model, opt, X[idx], y[idx], loss_fn, clip_norm, clip_value)
            if not (math.isfinite(loss_value) and math.isfinite(norm)):
                hist.diverged_at = step
                return hist
            hist.loss.append(float(loss_value))
            hist.grad_norm.append(norm)
            hist.clipped.append(bool(clipped))
            if track_layer_norms:
                hist.layer_grad_norms.append(  # ||dW_l|| (grads are only valid until next step)
                    np.sqrt([np.vdot(grads[i], grads[i]) for i in weight_idx]).tolist())
            epoch_losses.append(loss_value)
            step += 1
        if not all(np.isfinite(p).all() for p in model.parameters()):
            hist.diverged_at = step  # the last update overflowed a weight
            return hist
        end_of_epoch(epoch, float(np.mean(epoch_losses)))
    return hist


# ------------------------------------------------------------------ one configured run


@dataclass
class Run:
    """What :func:`run` returns: the trained ``model``, its ``history`` and the ``data`` split.

    The per-epoch curves (index 0 = before training) as arrays: ``test_acc``, ``train_acc``,
    ``epoch_loss``; ``chance``: the largest class share of the test set, the accuracy of
    always answering one class.
    """

    model: MLP
    history: History
    data: datasets.Split

    @property
    def diverged(self) -> bool:
        return self.history.diverged

    @property
    def test_acc(self) -> np.ndarray:
        return np.array(self.history.test_acc)

    @property
    def train_acc(self) -> np.ndarray:
        return np.array(self.history.train_acc)

    @property
    def epoch_loss(self) -> np.ndarray:
        return np.array(self.history.epoch_loss)

    @property
    def chance(self) -> float:
        y = self.data.y_test
        return float(np.bincount(y).max() / len(y))


def run(
    sizes: Sequence[int] | None = None,
    *,
    seed: int | Sequence[int] | np.random.SeedSequence,
    epochs: int,
    batch_size: int,
    lr: float,
    dataset: str | datasets.Split = "digits",
    data_seed: int = 0,
    activation: Any = "relu",
    weight_init: Any = "he_normal",
    bias_init: Any = "zeros",
    dtype: type | np.dtype = np.float64,
    momentum: float = 0.0,
    loss: str | losses.Loss = "softmax_cross_entropy",
    clip_norm: float | None = None,
    clip_value: float | None = None,
    optimizer: str = "sgd",
    lr_mult: Sequence[float] | None = None,
    shuffle_seed: int | Sequence[int] | np.random.SeedSequence | None = None,
    build: Callable[[datasets.Split, np.random.Generator], MLP] | None = None,
    step_hook: Callable[[np.random.Generator], StepHook] | None = None,
    on_epoch: Callable[[int, MLP], None] | None = None,
    track_layer_norms: bool = False,
) -> Run:
    """Build an :class:`~initlab.network.MLP`, train it on a dataset, return the :class:`Run`.

    The one way the book runs a training: every chapter's comparison (zero versus random,
    Xavier versus He, LSUV, clipping, ...) is this function with other arguments.

    Randomness, in this order: the data split from ``default_rng(data_seed)``
    (``datasets.load(dataset, ...)``; or pass a ready :class:`~initlab.datasets.Split`); the
    weights from ``rng = default_rng(seed)``, by ``MLP(sizes, rng, ...)`` or, for a model that
    needs more than an initializer (e.g. LSUV's calibration on a batch of data), by
    ``build(data, rng)`` (give ``sizes`` or ``build``, not both); then the epoch permutations
    from the same ``rng``, unless ``shuffle_seed`` gives them their own generator. ``step_hook``
    is a factory: ``step_hook(train_rng)`` makes the per-step hook of :func:`train` (e.g.
    :func:`initlab.dropout.hook`), so its draws come from the training generator.
    ``sizes``, ``activation``, ``weight_init``, ``bias_init``, ``dtype``: as for ``MLP``;
    the rest as for :func:`train`. A diverged run is returned, not raised: check
    ``run.diverged``.
    """
    data = dataset if isinstance(dataset, datasets.Split) else datasets.load(
        dataset, np.random.default_rng(data_seed))
    rng = np.random.default_rng(seed)
    if (sizes is None) == (build is None):
        raise ValueError(f"give `sizes` or `build`, exactly one: got sizes={sizes!r}, "
                         f"build={build!r}")
    model = build(data, rng) if build is not None else MLP(
        sizes, rng, activation=activation, weight_init=weight_init, bias_init=bias_init,
        dtype=dtype)
    train_rng = rng if shuffle_seed is None else np.random.default_rng(shuffle_seed)
    hist = train(model, data.X_train, data.y_train, rng=train_rng, epochs=epochs,
                 batch_size=batch_size, lr=lr, momentum=momentum, loss=loss,
                 clip_norm=clip_norm, clip_value=clip_value, optimizer=optimizer,
                 lr_mult=lr_mult, X_test=data.X_test,
                 y_test=data.y_test, track_layer_norms=track_layer_norms, on_epoch=on_epoch,
                 step_hook=None if step_hook is None else step_hook(train_rng), progress=False)
    return Run(model, hist, data)


def run_config(config: dict) -> Run:
    """``run(**config)``: a picklable one-argument form for :func:`initlab.sweep.run`."""
    return run(**config)


def curves(runs: Sequence[Run], name: str = "test_acc") -> np.ndarray:
    """``(n_runs, epochs + 1)``: curve ``name`` of every run that did not diverge, stacked.

    A diverged run's curves stop early; count them with ``sum(r.diverged for r in runs)``
    and report them as divergences, never as a curve.
    """
    kept = [getattr(r, name) for r in runs if not r.diverged]
    if not kept:
        raise ValueError(f"every one of the {len(runs)} runs diverged: no `{name}` curve")
    return np.stack(kept)
