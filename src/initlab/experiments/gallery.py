"""Chapter 8, the initializer gallery: every scheme drawn, measured and checked against its law.

What: :func:`draw_gallery` draws ``N = fan_in * fan_out = 10^5`` weights from each of 17
initializers (Keras' whole list, LeCun normal/uniform, Glorot's "standard" init and PyTorch's
default ``nn.Linear`` init) for one ``(fan_in, fan_out) = (400, 250)`` kernel, from one running
rng, and compares the measured mean, std, min and max with the law :func:`closed_form`
writes out *independently of the library* (e.g. the Glorot uniform limit
``sqrt(6 / (fan_in + fan_out))``, the truncated-normal factor from ``erf``, the density of one
coordinate of a random unit vector for the orthogonal init). :func:`claim_ranges` turns a law
and the sample size into the ranges the reference file checks (mean within 5 SE,
``SE = sigma / sqrt(N)``; std within 5 SE, ``SE_std = sigma sqrt((kurtosis - 1) / (4 N))``, delta
method; max (min) between a level the ``N`` draws reach with probability ``1 - e^-25`` and the
bound), so a wrong formula in the library fails CI (:func:`gallery_claims` writes them).

Then the conventions readers trip over: :func:`conv_fans` (Keras ``(..., in, out)`` versus
PyTorch ``(out, in, ...)`` kernels), :func:`truncation_check` (the 0.8796 correction),
:func:`pytorch_default` (``kaiming_uniform_(a=sqrt(5))`` is ``U(+-1/sqrt(fan_in))``),
:func:`orthogonal_check` (``Q^T Q = I`` for tall and wide shapes) and :func:`seeded_reuse`
(one initializer called twice on one Generator gives different layers, a Generator re-created
from the seed gives identical ones, and an initializer carrying its own seed repeats itself).

Why: the sources list Keras' initializers without their formulas; the chapter shows each one's
distribution and measures that the library's draws follow the paper's formula.
Papers: LeCun et al. 1998, Glorot and Bengio 2010, He et al. 2015, Saxe et al. 2014,
Klambauer et al. 2017 (LeCun normal for SELU).

Shapes: weights ``(n_in, n_out) = (fan_in, fan_out)`` (Keras layout). Every draw is cheap, so
the smoke and full runs draw the same ``N``: no function takes a ``smoke`` flag. Functions take
an explicit ``seed`` and return plain dicts of floats and ndarrays; ``plot_*`` make figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initlab import initializers, network
from initlab._checks import check_choice, check_int

FAN_IN, FAN_OUT = 400, 250           # one (fan_in, fan_out) kernel: 400 * 250 = 10^5 draws
CONSTANT_VALUE = 0.1
TRUNCATION = 2.0                     # Keras and JAX re-draw beyond 2 std

#: key -> (library name, parameters, panel title). Order: plain draws and constants (Keras),
#: the variance-scaling family, then the extra schemes and the structured ones.
GALLERY: dict[str, tuple[str, dict, str]] = {
    "random_normal": ("random_normal", {}, "RandomNormal(0, 0.05)"),
    "random_uniform": ("random_uniform", {}, "RandomUniform(-0.05, 0.05)"),
    "truncated_normal": ("truncated_normal", {}, "TruncatedNormal(0, 0.05)"),
    "zeros": ("zeros", {}, "Zeros"),
    "ones": ("ones", {}, "Ones"),
    "constant": ("constant", {"value": CONSTANT_VALUE}, f"Constant({CONSTANT_VALUE})"),
    "glorot_normal": ("glorot_normal", {}, "GlorotNormal"),
    "glorot_uniform": ("glorot_uniform", {}, "GlorotUniform"),
    "he_normal": ("he_normal", {}, "HeNormal"),
    "he_uniform": ("he_uniform", {}, "HeUniform"),
    "lecun_normal": ("lecun_normal", {}, "LeCun normal"),
    "lecun_uniform": ("lecun_uniform", {}, "LeCun uniform"),
    "variance_scaling": ("variance_scaling",
                         {"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal"},
                         "VarianceScaling(0.5, fan_out,\nuntruncated normal)"),
    "glorot_standard": ("glorot_standard", {}, "Glorot 'standard'\nU(±1/√fan_in)"),
    "pytorch_linear": ("kaiming_uniform", {"a": math.sqrt(5.0)},
                       "PyTorch Linear default\nkaiming_uniform_(a=√5)"),
    "identity": ("identity", {}, "Identity"),
    "orthogonal": ("orthogonal", {}, "Orthogonal"),
}
KINDS = ("normal", "truncated_normal", "uniform", "point", "bernoulli", "sphere")


# ----------------------------------------------------------------------- closed-form laws


def _normal_cdf(x: float) -> float:
    """Standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2``."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: float) -> float:
    """Standard normal density."""
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def truncated_moments(c: float = TRUNCATION) -> tuple[float, float]:
    """``(m2, m4)`` of ``N(0, 1)`` truncated to ``[-c, c]``, by integration by parts.

    With ``Z = 2 Phi(c) - 1``: ``m2 = 1 - 2 c phi(c) / Z`` and ``m4 = 3 m2 - 2 c^3 phi(c) / Z``.
    For ``c = 2``: ``sqrt(m2) = 0.87962566...`` (the constant Keras divides by), ``m2 = 0.774``.
    """
    Z = 2.0 * _normal_cdf(c) - 1.0
    m2 = 1.0 - 2.0 * c * _normal_pdf(c) / Z
    m4 = 3.0 * m2 - 2.0 * c**3 * _normal_pdf(c) / Z
    return m2, m4


@dataclass(frozen=True)
class Law:
    """The distribution an initializer should produce, in closed form.

    ``kind`` is one of KINDS; ``mean``, ``std``; ``bound`` the largest ``|w|`` possible
    (``inf`` if unbounded); ``kurtosis = mu_4 / sigma^4`` (3 normal, 9/5 uniform; 0 when
    ``std = 0``); ``random`` False for deterministic initializers (exact statistics).
    ``params``: ``scale`` (pre-truncation std), ``value``, ``p`` (fraction of ones) or ``n``
    (dimension of the sphere).
    """

    kind: str
    mean: float
    std: float
    bound: float
    kurtosis: float
    random: bool = True
    params: dict = field(default_factory=dict)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at ``x`` (continuous kinds only; point masses have none)."""
        x = np.asarray(x, dtype=np.float64)
        u = x - self.mean
        if self.kind == "normal":
            return np.exp(-0.5 * (u / self.std) ** 2) / (self.std * math.sqrt(2 * math.pi))
        if self.kind == "uniform":
            return np.where(np.abs(u) <= self.bound, 1.0 / (2.0 * self.bound), 0.0)
        if self.kind == "truncated_normal":
            s = self.params["scale"]
            Z = 2.0 * _normal_cdf(TRUNCATION) - 1.0          # mass kept inside +-2 std
            dens = np.exp(-0.5 * (u / s) ** 2) / (s * math.sqrt(2 * math.pi) * Z)
            return np.where(np.abs(u) <= TRUNCATION * s, dens, 0.0)
        if self.kind == "sphere":
            # one coordinate of a uniform unit vector in R^n:
            # Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)) (1 - x^2)^((n-3)/2) on [-1, 1]
            n = self.params["n"]
            log_c = math.lgamma(n / 2) - math.lgamma((n - 1) / 2) - 0.5 * math.log(math.pi)
            inside = np.clip(1.0 - u**2, 1e-300, None)
            return np.where(np.abs(u) < 1.0, np.exp(log_c + (n - 3) / 2 * np.log(inside)), 0.0)
        raise ValueError(f"a {self.kind!r} law has no density; it is a point mass")

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Values and probabilities of a discrete law (``point``, ``bernoulli``)."""
        if self.kind == "point":
            return np.array([self.params["value"]]), np.array([1.0])
        if self.kind == "bernoulli":
            p = self.params["p"]
            return np.array([0.0, 1.0]), np.array([1.0 - p, p])
        raise ValueError(f"a {self.kind!r} law is continuous; use pdf()")


def _normal(std: float) -> Law:
    return Law("normal", 0.0, std, math.inf, 3.0)


def _uniform(limit: float) -> Law:
    """``U(-limit, limit)``: std ``limit / sqrt(3)``, ``mu_4 = limit^4 / 5``, kurtosis 9/5."""
    return Law("uniform", 0.0, limit / math.sqrt(3.0), limit, 9.0 / 5.0)


def _truncated(scale: float) -> Law:
    """``N(0, scale^2)`` re-drawn beyond ``2 scale``: std ``scale sqrt(m2)``, bound ``2 scale``."""
    m2, m4 = truncated_moments()
    return Law("truncated_normal", 0.0, scale * math.sqrt(m2), TRUNCATION * scale, m4 / m2**2,
               params={"scale": scale})


def _corrected_truncated(std: float) -> Law:
    """A truncated normal whose *realised* std is ``std`` (Keras VarianceScaling, JAX)."""
    return _truncated(std / math.sqrt(truncated_moments()[0]))


def _point(value: float) -> Law:
    return Law("point", value, 0.0, abs(value), 0.0, random=False, params={"value": value})


def closed_form(key: str, fan_in: int = FAN_IN, fan_out: int = FAN_OUT) -> Law:
    """The law of gallery initializer ``key`` on an ``(fan_in, fan_out)`` kernel.

    Written from the papers' formulas, never by calling the library:
    Glorot (2010): ``Var = 2 / (fan_in + fan_out)``, uniform limit ``sqrt(6 / (fan_in + fan_out))``;
    He (2015): ``Var = 2 / fan_in``, limit ``sqrt(6 / fan_in)``; LeCun (1998): ``Var = 1 / fan_in``,
    limit ``sqrt(3 / fan_in)``; Glorot's standard and PyTorch's default:
    ``U(+-1/sqrt(fan_in))`` (``sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in)``); identity: a
    fraction ``p = min(fan_in, fan_out) / (fan_in fan_out)`` of ones; orthogonal: the
    ``min(fan_in, fan_out)`` orthonormal vectors are uniform on the sphere of
    ``R^max(fan_in, fan_out)``, so each entry has mean 0, variance ``1/n`` and kurtosis
    ``3 n / (n + 2)`` (``E[x^4] = 3 / (n (n + 2))``), ``|w| <= 1``.
    """
    check_choice(key, "initializer", GALLERY)
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    if key == "random_normal":
        return _normal(0.05)
    if key == "random_uniform":
        return _uniform(0.05)
    if key == "truncated_normal":
        return _truncated(0.05)                       # Keras: stddev is the pre-truncation std
    if key in ("zeros", "ones", "constant"):
        return _point({"zeros": 0.0, "ones": 1.0, "constant": CONSTANT_VALUE}[key])
    if key == "glorot_normal":
        return _corrected_truncated(math.sqrt(2.0 / (fan_in + fan_out)))
    if key == "glorot_uniform":
        return _uniform(math.sqrt(6.0 / (fan_in + fan_out)))
    if key == "he_normal":
        return _corrected_truncated(math.sqrt(2.0 / fan_in))
    if key == "he_uniform":
        return _uniform(math.sqrt(6.0 / fan_in))
    if key == "lecun_normal":
        return _corrected_truncated(math.sqrt(1.0 / fan_in))
    if key == "lecun_uniform":
        return _uniform(math.sqrt(3.0 / fan_in))
    if key == "variance_scaling":
        return _normal(math.sqrt(0.5 / fan_out))       # scale 0.5, mode fan_out, untruncated
    if key in ("glorot_standard", "pytorch_linear"):
        return _uniform(1.0 / math.sqrt(fan_in))
    if key == "identity":
        p = min(fan_in, fan_out) / (fan_in * fan_out)
        return Law("bernoulli", p, math.sqrt(p * (1.0 - p)), 1.0,
                   (1.0 - 3.0 * p + 3.0 * p * p) / (p * (1.0 - p)), random=False,
                   params={"p": p})
    n = max(fan_in, fan_out)                           # orthogonal
    return Law("sphere", 0.0, 1.0 / math.sqrt(n), 1.0, 3.0 * n / (n + 2.0), params={"n": n})


def standard_errors(law: Law, n_draws: int) -> tuple[float, float]:
    """``(SE(mean), SE(std))`` of ``n_draws`` draws from ``law`` (0, 0 if deterministic).

    ``SE(mean) = sigma / sqrt(N)``; delta method ``Var(s) = (mu_4 - sigma^4) / (4 sigma^2 N)``,
    i.e. ``SE(std) = sigma sqrt((kurtosis - 1) / (4 N))``: ``sigma / sqrt(2N)`` for a normal,
    ``sigma / sqrt(5N)`` for a uniform. For the orthogonal init the entries are dependent: the
    mean's SE is still exact (``1^T Q 1`` has variance ``N / n``), the std's is conservative
    (every column has norm 1 exactly).
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    if not law.random:
        return 0.0, 0.0
    return law.std / math.sqrt(n_draws), law.std * math.sqrt((law.kurtosis - 1.0) / (4 * n_draws))


#: probability that N draws from a bounded law all miss the band next to one bound: e^-25
_MISS = 25.0
#: relative slack on the support bound itself, for the rounding of ``bound`` (1e-16 relative)
_ROUND = 1e-12


def claim_ranges(law: Law, n_draws: int, k: float = 5.0) -> dict[str, tuple[float, float, str]]:
    """Ranges ``(lo, hi, why)`` for the measured ``mean``, ``std``, ``min`` and ``max`` of ``law``.

    mean, std: theory +- ``k`` SE (:func:`standard_errors`); deterministic laws +- 1e-12.
    max, bounded laws: ``[b - eps, b]`` (min: ``[-b, -b + eps]``) with ``eps`` such that ``N``
    draws all miss the band next to the bound with probability ``<= e^-25``: uniform
    ``eps = 25 * 2b / N`` (``(1 - eps / (2b))^N <= e^-25``); truncated normal
    ``eps = 25 Z scale / (phi(2) N)`` (the density is lowest at the edge, ``phi(2) / (Z scale)``,
    ``Z = 2 Phi(2) - 1``). Normal and sphere (bound far away): max in ``[3.5 sigma, 6 sigma]``
    (``P(max < 3.5 sigma) = (1 - 2.3e-4)^N = e^-23`` and ``P(max > 6 sigma) <= N (1 - Phi(6))
    = 1e-4`` for ``N = 10^5``; a coordinate of a unit vector in ``R^n``, ``n = 400``, has a tail
    within 15% of the normal's there). ``b`` gets a 1e-12 relative slack for rounding.
    """
    se_mean, se_std = standard_errors(law, n_draws)
    if not law.random:
        tol = 1e-12
        lo, hi = law.mean - law.std, law.mean + law.std      # point: value; bernoulli: 0, 1
        if law.kind == "bernoulli":
            lo, hi = 0.0, 1.0
        why = "deterministic: exact up to rounding"
        return {"mean": (law.mean - tol, law.mean + tol, why),
                "std": (max(law.std - tol, 0.0), law.std + tol, why),
                "min": (lo - tol, lo + tol, why), "max": (hi - tol, hi + tol, why)}
    out = {"mean": (law.mean - k * se_mean, law.mean + k * se_mean,
                    f"mean {law.mean:.6g} +- {k:g} SE, SE = sigma/sqrt(N) = {se_mean:.3g}"),
           "std": (law.std - k * se_std, law.std + k * se_std,
                   f"std {law.std:.6g} +- {k:g} SE, SE = sigma sqrt((kurtosis - 1)/(4N)) = "
                   f"{se_std:.3g} (kurtosis {law.kurtosis:.4g}, N = {n_draws})")}
    if law.kind == "uniform":
        eps = _MISS * 2.0 * law.bound / n_draws
        why = (f"support [-b, b], b = {law.bound:.6g}; P(no draw within eps = 50 b / N of the "
               "bound) <= e^-25")
    elif law.kind == "truncated_normal":
        s = law.params["scale"]
        Z = 2 * _normal_cdf(TRUNCATION) - 1                    # edge density phi(2) / (Z s)
        eps = _MISS * Z * s / (_normal_pdf(TRUNCATION) * n_draws)
        why = (f"support [-2 scale, 2 scale], 2 scale = {law.bound:.6g}; P(no draw within "
               "eps = 25 Z scale / (phi(2) N) of the bound) <= e^-25")
    else:
        why = ("unbounded (or bound far away): 3.5 sigma <= max <= 6 sigma (mirror for min), "
               "P(outside) <= 1e-4 for N = 1e5")
        out["max"] = (law.mean + 3.5 * law.std, law.mean + 6.0 * law.std, why)
        out["min"] = (law.mean - 6.0 * law.std, law.mean - 3.5 * law.std, why)
        return out
    b = law.bound * (1.0 + _ROUND)
    out["max"] = (law.mean + law.bound - eps, law.mean + b, why)
    out["min"] = (law.mean - b, law.mean - law.bound + eps, why)
    return out


# ---------------------------------------------------------------------------- the gallery


def draw(key: str, rng: np.random.Generator, fan_in: int = FAN_IN,
         fan_out: int = FAN_OUT) -> np.ndarray:
    """One ``(fan_in, fan_out)`` draw of gallery initializer ``key`` from ``rng``."""
    check_choice(key, "initializer", GALLERY)
    name, params, _ = GALLERY[key]
    return initializers.get(name, **params)((fan_in, fan_out), rng)


def _histogram(w: np.ndarray, law: Law, n_bins: int) -> dict:
    """Density histogram on a range set by the law (discrete laws: value frequencies)."""
    if law.kind in ("point", "bernoulli"):
        values, counts = np.unique(w, return_counts=True)
        return {"values": values, "freq": counts / w.size}
    if law.kind in ("uniform", "truncated_normal"):   # +-bound on bin edges, 15% margin
        width = 2.0 * law.bound / n_bins
        k = math.ceil(0.15 * n_bins / 2)
        edges = law.mean - law.bound + width * np.arange(-k, n_bins + k + 1)
    else:
        edges = np.linspace(law.mean - 4.5 * law.std, law.mean + 4.5 * law.std, n_bins + 1)
    counts, _ = np.histogram(w, edges)
    return {"edges": edges, "density": counts / (w.size * np.diff(edges)),
            "outside": int(w.size - counts.sum())}


def draw_gallery(seed: int, fan_in: int = FAN_IN, fan_out: int = FAN_OUT,
                 n_bins: int = 60) -> dict:
    """Draw every GALLERY initializer once, in order, from ``default_rng(seed)``.

    Returns ``fan_in``, ``fan_out``, ``n_draws`` and, per key, ``law`` (:func:`closed_form`),
    the measured ``mean``, ``std`` (``ddof = 0``), ``min``, ``max``, ``max_abs``, the standard
    errors, ``z_mean = (mean - theory) / SE`` and ``z_std`` (0 for deterministic laws, whose
    statistics must be exact), the ``ranges`` of :func:`claim_ranges`, and a histogram.
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed"))
    n = fan_in * fan_out
    out: dict = {"fan_in": fan_in, "fan_out": fan_out, "n_draws": n, "seed": seed, "inits": {}}
    for key in GALLERY:
        w = draw(key, rng, fan_in, fan_out)
        law = closed_form(key, fan_in, fan_out)
        se_mean, se_std = standard_errors(law, n)
        mean, std = float(w.mean()), float(w.std())
        out["inits"][key] = {
            "law": law, "mean": mean, "std": std, "min": float(w.min()), "max": float(w.max()),
            "max_abs": float(np.abs(w).max()), "se_mean": se_mean, "se_std": se_std,
            "z_mean": (mean - law.mean) / se_mean if law.random else 0.0,
            "z_std": (std - law.std) / se_std if law.random else 0.0,
            "ranges": claim_ranges(law, n), "hist": _histogram(w, law, n_bins),
        }
    return out


def summary_table(gallery: dict) -> pd.DataFrame:
    """Theory versus measurement, one row per initializer (bound ``inf`` = unbounded)."""
    rows = {}
    for key, r in gallery["inits"].items():
        law = r["law"]
        rows[GALLERY[key][2].replace("\n", " ")] = {
            "law": law.kind, "mean (theory)": law.mean, "mean": r["mean"],
            "z mean": r["z_mean"], "std (theory)": law.std, "std": r["std"], "z std": r["z_std"],
            "bound (theory)": law.bound, "min": r["min"], "max": r["max"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def gallery_records(gallery: dict) -> dict[str, float]:
    """The gallery's numbers under the chapter's result keys.

    Per initializer ``key``: measured ``{key}_mean``, ``{key}_std``, ``{key}_min``, ``{key}_max``;
    theory ``{key}_mean_theory``, ``{key}_std_theory`` and ``{key}_bound`` (bounded laws only).
    Overall: sizes, the largest ``|z|`` of the mean and std over the random initializers, and
    how many initializers drew a ``|w|`` beyond their bound.
    """
    out: dict[str, float] = {"gallery_n_draws": gallery["n_draws"],
                             "gallery_fan_in": gallery["fan_in"],
                             "gallery_fan_out": gallery["fan_out"]}
    for key, r in gallery["inits"].items():
        law = r["law"]
        for stat in ("mean", "std", "min", "max"):
            out[f"{key}_{stat}"] = r[stat]
        out[f"{key}_mean_theory"] = law.mean
        out[f"{key}_std_theory"] = law.std
        if math.isfinite(law.bound):
            out[f"{key}_bound"] = law.bound
    random = [r for r in gallery["inits"].values() if r["law"].random]
    out["gallery_max_abs_z_mean"] = max(abs(r["z_mean"]) for r in random)
    out["gallery_max_abs_z_std"] = max(abs(r["z_std"]) for r in random)
    out["gallery_n_beyond_bound"] = sum(r["max_abs"] > r["law"].bound
                                        for r in gallery["inits"].values())
    return out


def gallery_claims(n_draws: int, fan_in: int = FAN_IN, fan_out: int = FAN_OUT,
                   k: float = 5.0) -> dict[str, dict]:
    """Reference-file claims for :func:`gallery_records`' measured keys, from :func:`closed_form`.

    ``{key}_{mean,std,min,max}: {"min", "max", "why"}`` per :func:`claim_ranges` with ``N =
    n_draws``; the chapter's reference file holds their output (regenerate it when ``N`` changes).
    """
    out = {}
    for key in GALLERY:
        law = closed_form(key, fan_in, fan_out)
        for stat, (lo, hi, why) in claim_ranges(law, n_draws, k).items():
            out[f"{key}_{stat}"] = {"min": lo, "max": hi, "why": f"{GALLERY[key][2]}: {why}"
                                    .replace("\n", " ")}
    return out


# ------------------------------------------------------------------------ the conventions


def conv_fans(seed: int, kernel: tuple[int, int] = (3, 3), c_in: int = 16,
              c_out: int = 32) -> dict:
    """Fans of a ``kh x kw`` conv kernel from ``c_in`` to ``c_out`` channels, both layouts.

    Closed form: ``fan_in = kh kw c_in``, ``fan_out = kh kw c_out``. Keras stores the kernel as
    ``(kh, kw, c_in, c_out)``, PyTorch as ``(c_out, c_in, kh, kw)``; ``compute_fans`` with the
    matching ``layout`` must give the closed form, and with the wrong one it does not.
    Also draws ``he_normal`` (``std = sqrt(2 / fan_in)``) for each reading and measures its std.
    Returns ``fans[reading] = (fan_in, fan_out)``, ``he_std[reading]`` (theory) and
    ``he_std_measured[reading]``, ``se_std`` (relative, per reading), ``n_draws``.
    """
    kh, kw = (check_int(k, "kernel size", minimum=1) for k in kernel)
    c_in, c_out = check_int(c_in, "c_in", minimum=1), check_int(c_out, "c_out", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed"))
    keras_shape, torch_shape = (kh, kw, c_in, c_out), (c_out, c_in, kh, kw)
    readings = {"keras": (keras_shape, "in_out"), "pytorch": (torch_shape, "out_in"),
                "pytorch_read_as_keras": (torch_shape, "in_out"),
                "keras_read_as_pytorch": (keras_shape, "out_in")}
    m2, m4 = truncated_moments()
    rel_se = math.sqrt((m4 / m2**2 - 1.0) / (4 * math.prod(keras_shape)))  # SE(std) / std
    out: dict = {"keras_shape": keras_shape, "torch_shape": torch_shape,
                 "fan_in_closed": kh * kw * c_in, "fan_out_closed": kh * kw * c_out,
                 "n_draws": math.prod(keras_shape), "rel_se_std": rel_se,
                 "fans": {}, "he_std": {}, "he_std_measured": {}}
    for reading, (shape, layout) in readings.items():
        fan_in, fan_out = initializers.compute_fans(shape, layout=layout)
        W = initializers.get("he_normal", layout=layout)(shape, rng)
        out["fans"][reading] = (fan_in, fan_out)
        out["he_std"][reading] = math.sqrt(2.0 / fan_in)
        out["he_std_measured"][reading] = float(W.std())
    return out


def conv_table(conv: dict) -> pd.DataFrame:
    """One row per reading of :func:`conv_fans`: shape, rule, fans, He std (theory, measured)."""
    names = {"keras": ("Keras kernel", "Keras rule (..., in, out)"),
             "pytorch": ("PyTorch kernel", "PyTorch rule (out, in, ...)"),
             "pytorch_read_as_keras": ("PyTorch kernel", "Keras rule (..., in, out)"),
             "keras_read_as_pytorch": ("Keras kernel", "PyTorch rule (out, in, ...)")}
    rows = []
    for reading, (kernel, rule) in names.items():
        shape = conv["keras_shape"] if kernel == "Keras kernel" else conv["torch_shape"]
        fan_in, fan_out = conv["fans"][reading]
        rows.append({"kernel": f"{kernel} {shape}", "read with": rule, "fan_in": fan_in,
                     "fan_out": fan_out, "He std sqrt(2/fan_in)": conv["he_std"][reading],
                     "measured std": conv["he_std_measured"][reading]})
    return pd.DataFrame(rows)


def truncation_check(seed: int, n_draws: int = 100_000) -> dict:
    """Truncated normal with and without the 0.8796 correction, target std 1, ``n_draws`` each.

    Uncorrected: Keras ``TruncatedNormal(stddev=1)``, realised variance ``m2 = 0.774``
    (:func:`truncated_moments`). Corrected: ``variance_scaling(scale=1)`` on a ``(1, N)``
    kernel (``fan_in = 1``), which divides the std by ``sqrt(m2)``: realised variance 1.
    Returns both samples, the variance ratios (measured ``Var / 1``), their SE
    (``Var(s^2) = (mu_4 - sigma^4) / N``), the closed-form factor and the library constant.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    rng = np.random.default_rng(check_int(seed, "seed"))
    m2, m4 = truncated_moments()
    raw = initializers.get("truncated_normal", stddev=1.0)((n_draws,), rng)
    fixed = initializers.get("variance_scaling", scale=1.0, mode="fan_in",
                             distribution="truncated_normal")((1, n_draws), rng).ravel()
    se_ratio_raw = math.sqrt((m4 - m2**2) / n_draws)          # SE of s^2, sigma^2 = m2
    return {"raw": raw, "fixed": fixed, "n_draws": n_draws,
            "factor_theory": math.sqrt(m2), "var_ratio_theory": m2,
            "factor_library_error": abs(math.sqrt(m2) - initializers.TRUNCATED_NORMAL_STD),
            "var_ratio_raw": float(raw.var()), "var_ratio_fixed": float(fixed.var()),
            "se_ratio_raw": se_ratio_raw, "se_ratio_fixed": se_ratio_raw / m2,
            "max_abs_raw": float(np.abs(raw).max()), "max_abs_fixed": float(np.abs(fixed).max()),
            "bound_fixed": TRUNCATION / math.sqrt(m2)}


def recover_uniform_bound(w: np.ndarray, seed: int) -> tuple[float, float]:
    """The ``b`` of a ``U(-b, b)`` draw ``w`` made from a fresh ``default_rng(seed)``.

    numpy draws ``U(low, high)`` as ``low + (high - low) u`` with ``u`` the generator's
    ``random()`` stream, so ``w = b (2u - 1)`` entry by entry; least squares gives
    ``b = sum(w x) / sum(x^2)`` with ``x = 2u - 1``. Returns ``(b, max |w - b x|)``: the residual
    is rounding (~1e-17) when ``w`` really is such a draw, so ``b`` is the bound the library
    used, read from its output rather than from its code.
    """
    x = 2.0 * np.random.default_rng(check_int(seed, "seed")).random(w.shape) - 1.0
    b = float((w * x).sum() / (x * x).sum())
    return b, float(np.abs(w - b * x).max())


def pytorch_default(seed: int, fan_in: int = FAN_IN, fan_out: int = FAN_OUT) -> dict:
    """PyTorch's ``nn.Linear(fan_in, fan_out)`` weight: ``(fan_out, fan_in)``, ``out_in`` layout.

    ``kaiming_uniform_(a=sqrt(5))``: ``gain = sqrt(2 / (1 + a^2)) = 1/sqrt(3)``,
    ``bound = sqrt(3) gain / sqrt(fan_in) = 1 / sqrt(fan_in)``, so ``fan_in Var(w) = 1/3``;
    He uniform (``a = 0``) has ``bound = sqrt(6 / fan_in)`` and ``fan_in Var(w) = 2``, and LeCun
    uniform ``sqrt(3 / fan_in)``, ``fan_in Var(w) = 1``. Draws all three in PyTorch's layout,
    from fresh generators ``default_rng(seed + i)``, ``i = 0, 1, 2``, and reads each bound back
    from its draw (:func:`recover_uniform_bound`): ``bound_error[k] = |recovered - closed form|``.
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    seed = check_int(seed, "seed")
    shape = (fan_out, fan_in)
    inits = {"pytorch": initializers.get("kaiming_uniform", a=math.sqrt(5.0), layout="out_in"),
             "he": initializers.get("kaiming_uniform", a=0.0, layout="out_in"),
             "lecun": initializers.get("lecun_uniform", layout="out_in")}
    seeds = {k: seed + i for i, k in enumerate(inits)}
    W = {k: f(shape, np.random.default_rng(seeds[k])) for k, f in inits.items()}
    bound = {"pytorch": 1.0 / math.sqrt(fan_in), "he": math.sqrt(6.0 / fan_in),
             "lecun": math.sqrt(3.0 / fan_in)}
    recovered = {k: recover_uniform_bound(w, seeds[k]) for k, w in W.items()}
    return {"fan_in": fan_in, "fan_out": fan_out, "n_draws": fan_in * fan_out, "weights": W,
            "bound": bound, "gain_closed": 1.0 / math.sqrt(3.0),
            "gain_library": initializers.calculate_gain("leaky_relu", math.sqrt(5.0)),
            "bound_recovered": {k: b for k, (b, _) in recovered.items()},
            "bound_error": {k: abs(recovered[k][0] - bound[k]) for k in W},
            "fit_residual": {k: r for k, (_, r) in recovered.items()},
            "max_abs": {k: float(np.abs(w).max()) for k, w in W.items()},
            "fan_in_var": {k: float(fan_in * w.var()) for k, w in W.items()}}


def orthogonal_check(seed: int, tall: tuple[int, int] = (FAN_IN, FAN_OUT),
                     conv: tuple[int, ...] = (3, 3, 16, 32)) -> dict:
    """``Q^T Q = I`` for a tall kernel, ``Q Q^T = I`` for a wide one, both ``(n_in, n_out)``.

    ``tall`` is ``(rows, cols)`` with rows > cols; the wide kernel is its transpose shape. The
    conv kernel is checked flattened to ``(prod(shape[:-1]), shape[-1])``. Also the wrong
    product of the tall kernel, ``Q Q^T``: a projection of rank ``cols``, whose diagonal
    averages ``cols / rows``, so ``max |Q Q^T - I| >= 1 - cols / rows``. Singular values of the
    tall kernel against a Gaussian kernel with the same entry variance ``1 / rows``
    (Marchenko-Pastur: between ``1 -+ sqrt(cols / rows)``).
    """
    rows, cols = (check_int(d, "tall shape", minimum=1) for d in tall)
    if rows <= cols:
        raise ValueError(f"`tall` must have more rows than columns, got {tall!r}")
    rng = np.random.default_rng(check_int(seed, "seed"))
    orth = initializers.get("orthogonal")
    Q_tall, Q_wide, K = orth((rows, cols), rng), orth((cols, rows), rng), orth(conv, rng)
    G = rng.standard_normal((rows, cols)) / math.sqrt(rows)
    K2 = K.reshape(-1, conv[-1])
    return {
        "tall": (rows, cols), "conv": tuple(conv),
        "tall_dev": float(np.abs(Q_tall.T @ Q_tall - np.eye(cols)).max()),
        "wide_dev": float(np.abs(Q_wide @ Q_wide.T - np.eye(cols)).max()),
        "conv_dev": float(np.abs(K2.T @ K2 - np.eye(conv[-1])).max()),
        "tall_wrong_side_dev": float(np.abs(Q_tall @ Q_tall.T - np.eye(rows)).max()),
        "wrong_side_floor": 1.0 - cols / rows,
        "sv_orthogonal": np.linalg.svd(Q_tall, compute_uv=False),
        "sv_gaussian": np.linalg.svd(G, compute_uv=False),
        "mp_edges": (1.0 - math.sqrt(cols / rows), 1.0 + math.sqrt(cols / rows)),
    }


def seeded_initializer(name: str, seed: int) -> initializers.Initializer:
    """An initializer bound to a fixed seed, as ``keras.initializers.GlorotUniform(seed=42)``.

    It ignores the rng it is handed and starts ``default_rng(seed)`` afresh on every call:
    the pitfall. Every layer of the same shape gets the same matrix.
    """
    init = initializers.get(name)
    seed = check_int(seed, "seed")

    def fixed(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        return init(shape, np.random.default_rng(seed), dtype)

    return fixed


def _pair_stats(A: np.ndarray, B: np.ndarray) -> dict:
    """Bitwise equality, largest ``|A - B|`` and the correlation of the entries of two layers."""
    return {"identical": bool(np.array_equal(A, B)), "max_diff": float(np.abs(A - B).max()),
            "corr": float(np.corrcoef(A.ravel(), B.ravel())[0, 1])}


def seeded_reuse(seed: int, width: int = 64, n_layers: int = 3,
                 name: str = "glorot_uniform") -> dict:
    """Seeds and re-use: one initializer ``name`` on ``(width, width)`` layers, four ways.

    - ``same_rng``: called twice on one ``Generator``: different layers (the rng advances);
    - ``fresh_rng``: called on ``default_rng(seed)``, then on a re-created ``default_rng(seed)``:
      identical layers (reproducibility);
    - ``seeded_object``: an ``MLP((width,) * (n_layers + 1))`` whose every layer gets
      :func:`seeded_initializer` (Keras' ``GlorotUniform(seed=...)`` passed to each layer): all
      layers identical (first versus last layer compared);
    - ``running``: the same MLP built the book's way, every layer from one running rng.
    Each entry holds ``identical``, ``max_diff`` and ``corr`` (:func:`_pair_stats`) and the two
    compared layers ``A``, ``B``. Independent layers: ``corr ~ N(0, 1 / width^2)`` and ``max_diff``
    between ``b`` and ``2 b`` (``b`` the Glorot limit, in ``bound``; each of the ``width^2``
    differences is below ``b`` with probability 3/4).
    """
    width = check_int(width, "width", minimum=2)
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    seed = check_int(seed, "seed")
    init, shape = initializers.get(name), (width, width)
    rng = np.random.default_rng(seed)
    pairs = {"same_rng": (init(shape, rng), init(shape, rng)),
             "fresh_rng": (init(shape, np.random.default_rng(seed)),
                           init(shape, np.random.default_rng(seed)))}
    sizes = (width,) * (n_layers + 1)
    for label, w_init in (("seeded_object", seeded_initializer(name, seed)), ("running", name)):
        model = network.MLP(sizes, np.random.default_rng(seed), activation="relu",
                            weight_init=w_init)
        pairs[label] = (model.weights[0], model.weights[-1])
    out: dict = {"width": width, "n_layers": n_layers, "name": name, "seed": seed,
                 "bound": math.sqrt(6.0 / (2 * width))}
    for label, (A, B) in pairs.items():
        out[label] = {"A": A, "B": B, **_pair_stats(A, B)}
    return out


# -------------------------------------------------------------------------------- figures


def _panel(ax: plt.Axes, key: str, r: dict) -> None:
    law, h = r["law"], r["hist"]
    if "values" in h:
        values, probs = law.support()
        ax.bar(np.arange(len(h["values"])), h["freq"], width=0.5, color="#a6cde6")
        ax.plot(np.arange(len(values)), probs, "k_", ms=22, mew=2)
        ax.set_xticks(np.arange(len(h["values"])), [f"{v:g}" for v in h["values"]])
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 60)                         # headroom for the text
        ax.set_xlim(-0.8, max(len(values), 2) - 0.2)
        ax.set_ylabel("probability", fontsize=8)
    else:
        edges = h["edges"]
        ax.stairs(h["density"], edges, fill=True, color="#a6cde6", lw=0)
        x = np.linspace(edges[0], edges[-1], 801)
        pdf = law.pdf(x)
        ax.plot(x, pdf, "k-", lw=1.2)
        if np.isfinite(law.bound) and law.bound < edges[-1]:
            for sign in (-1, 1):
                ax.axvline(law.mean + sign * law.bound, color="C3", ls="--", lw=1)
        ax.set_ylim(0, 1.4 * max(pdf.max(), h["density"].max()))
        ax.set_ylabel("density", fontsize=8)
    ax.set_xlabel("weight value", fontsize=8)
    ax.set_title(GALLERY[key][2], fontsize=9)
    exact = "" if law.random else ", exact"
    ax.text(0.03, 0.97, f"σ theory {law.std:.4g}\nσ measured {r['std']:.4g}{exact}",
            transform=ax.transAxes, va="top", fontsize=7.5)
    ax.tick_params(labelsize=7.5)


def plot_gallery(gallery: dict, ncols: int = 6) -> Figure:
    """Small multiples: one panel per initializer, histogram against the closed-form law."""
    keys = list(gallery["inits"])
    nrows = math.ceil((len(keys) + 1) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.45 * ncols, 2.4 * nrows), dpi=70)
    axes = axes.ravel()
    for ax, key in zip(axes, keys, strict=False):
        _panel(ax, key, gallery["inits"][key])
    for ax in axes[len(keys):]:
        ax.axis("off")
    leg = axes[len(keys)]
    leg.fill_between([], [], color="#a6cde6", label="histogram of the draws")
    leg.plot([], [], "k-", label="closed-form density")
    leg.plot([], [], "C3--", label="theoretical bound ±b")
    leg.add_patch(Rectangle((0, 0), 0, 0, color="#a6cde6",
                            label="frequency of a value\n(log scale)"))
    leg.plot([], [], "k_", ms=12, mew=2, label="exact probability")
    leg.legend(loc="center", fontsize=8.5, frameon=False)
    fig.suptitle(f"{gallery['n_draws']:,} draws per initializer, one rng (seed {gallery['seed']}): "
                 f"a ({gallery['fan_in']}, {gallery['fan_out']}) kernel, fan_in = "
                 f"{gallery['fan_in']}, fan_out = {gallery['fan_out']}", fontsize=11)
    fig.tight_layout()
    return fig


def plot_conventions(trunc: dict, torch: dict, orth: dict, reuse: dict) -> Figure:
    """2 x 2: truncation correction, PyTorch default vs He/LeCun, orthogonal singular values,
    seeded re-use versus a running rng."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.6), dpi=76)
    ax = axes[0, 0]
    edges = np.linspace(-2.6, 2.6, 105)
    ax.hist(trunc["raw"], edges, density=True, histtype="step", lw=1.5, color="C3",
            label=f"TruncatedNormal(stddev=1): var {trunc['var_ratio_raw']:.3f}")
    ax.hist(trunc["fixed"], edges, density=True, histtype="step", lw=1.5, color="C0",
            label=f"÷ 0.8796 (VarianceScaling): var {trunc['var_ratio_fixed']:.3f}")
    x = np.linspace(-2.6, 2.6, 400)
    ax.plot(x, np.exp(-x**2 / 2) / math.sqrt(2 * math.pi), "k:", label="N(0, 1), the target")
    ax.set(title=f"(a) Truncated normal, target var 1, {trunc['n_draws']:,} draws",
           xlabel="weight value", ylabel="density", ylim=(0, 0.62))
    ax.legend(fontsize=9, loc="upper right")

    ax = axes[0, 1]
    colors = {"pytorch": "C3", "lecun": "C2", "he": "C0"}
    labels = {"pytorch": "PyTorch default, a=√5", "lecun": "LeCun uniform", "he": "He uniform, a=0"}
    b_max = torch["bound"]["he"] * 1.15
    for k in ("pytorch", "lecun", "he"):
        ax.hist(torch["weights"][k].ravel(), np.linspace(-b_max, b_max, 93), density=True,
                histtype="step", lw=1.5, color=colors[k],
                label=f"{labels[k]}: bound {torch['bound'][k]:.4f}, "
                      f"fan_in·Var {torch['fan_in_var'][k]:.3f}")
    ax.set(title=f"(b) nn.Linear({torch['fan_in']}, {torch['fan_out']}) weight, PyTorch layout "
                 f"({torch['fan_out']}, {torch['fan_in']})",
           xlabel="weight value", ylabel="density",
           ylim=(0, 1.5 / (2 * torch["bound"]["pytorch"])))
    ax.legend(fontsize=9, loc="upper right")

    ax = axes[1, 0]
    sv_edges = np.linspace(-0.0125, 2.0125, 82)          # 1.0 at the centre of a bin
    ax.hist(orth["sv_gaussian"], sv_edges, color="C1", alpha=0.6,
            label=f"Gaussian, Var(w) = 1/{orth['tall'][0]}")
    ax.hist(orth["sv_orthogonal"], sv_edges, color="C0", alpha=0.8,
            label=f"orthogonal: all {orth['tall'][1]} at 1")
    for e in orth["mp_edges"]:
        ax.axvline(e, color="k", ls=":", lw=1)
    ax.plot([], [], "k:", label="Marchenko-Pastur edges 1 ∓ √(cols/rows)")
    ax.set_yscale("log")
    ax.set(title=f"(c) Singular values of a {orth['tall']} kernel",
           xlabel="singular value", ylabel="count (log)")
    ax.legend(fontsize=9, loc="upper left")

    ax = axes[1, 1]
    b = reuse["bound"]
    for label, c, m, text in (("same_rng", "C0", ".", "same Generator twice"),
                              ("fresh_rng", "C3", "o", "re-created Generator")):
        r = reuse[label]
        ax.plot(r["A"].ravel(), r["B"].ravel(), m, color=c, ms=2 if m == "." else 3,
                alpha=0.5, mfc=c if m == "." else "none",
                label=f"{text}: max |A − B| = {r['max_diff']:.3g}")
    ax.set(title=f"(d) Two ({reuse['width']}, {reuse['width']}) GlorotUniform draws, seed "
                 f"{reuse['seed']}", xlabel="entry of the first draw A",
           ylabel="entry of the second draw B", aspect="equal",
           xlim=(-1.1 * b, 1.1 * b), ylim=(-1.1 * b, 1.9 * b))
    ax.legend(fontsize=9, loc="upper left", markerscale=3)
    fig.tight_layout()
    return fig
