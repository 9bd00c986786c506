"""Chapter 8's closed-form laws: what each gallery initializer should draw, and the claim ranges.

What: :data:`GALLERY` lists the 17 initializers of the chapter (Keras' fifteen classes, LeCun
normal/uniform among them, Glorot's "standard" init and PyTorch's default ``nn.Linear`` init);
:func:`closed_form` writes the law of each one on an ``(fan_in, fan_out)`` kernel *independently
of the library* (e.g. the Glorot uniform limit ``sqrt(6 / (fan_in + fan_out))``, the
truncated-normal factor from ``erf``, the density of one coordinate of a random unit vector for
the orthogonal init). :func:`claim_ranges` turns a law and the sample size ``N`` into the ranges
the reference file checks (mean within 5 SE, ``SE = sigma / sqrt(N)``; std within 5 SE,
``SE_std = sigma sqrt((kurtosis - 1) / (4 N))``, delta method, both from
:func:`initlab.stats.population_standard_errors`; max (min) between a level the ``N`` draws reach
with probability ``1 - e^-25`` and the bound), so a wrong formula in the library fails CI
(:func:`gallery_claims` writes them).

Why: the measured statistics of chapter 8 mean something only against a law derived from the
papers, not read back from the code under test.
Papers: LeCun et al. 1998, Glorot and Bengio 2010, He et al. 2015, Saxe et al. 2014,
Klambauer et al. 2017 (LeCun normal for SELU).

Shapes: kernels ``(n_in, n_out) = (fan_in, fan_out)`` (Keras layout); densities take and return
arrays of any shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from initlab import stats
from initlab._checks import check_choice, check_int

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


def closed_form(key: str, fan_in: int, fan_out: int) -> Law:
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

    :func:`initlab.stats.population_standard_errors`: ``SE(mean) = sigma / sqrt(N)``; delta
    method ``Var(s) = (mu_4 - sigma^4) / (4 sigma^2 N)``, i.e. ``SE(std) = sigma sqrt((kurtosis -
    1) / (4 N))``: ``sigma / sqrt(2N)`` for a normal, ``sigma / sqrt(5N)`` for a uniform. For the
    orthogonal init the entries are dependent: the mean's SE is still exact (``1^T Q 1`` has
    variance ``N / n``), the std's is conservative (every column has norm 1 exactly).
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    if not law.random:
        return 0.0, 0.0
    return stats.population_standard_errors(law.std, law.kurtosis, n_draws)


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



def gallery_claims(fan_in: int, fan_out: int, k: float = 5.0) -> dict[str, dict]:
    """Reference-file claims for the gallery's measured keys, from :func:`closed_form`.

    ``{key}_{mean,std,min,max}: {"min", "max", "why"}`` per :func:`claim_ranges` with ``N =
    fan_in * fan_out``; the chapter's reference file holds their output (regenerate it when
    ``N`` changes).
    """
    n_draws = check_int(fan_in, "fan_in", minimum=1) * check_int(fan_out, "fan_out", minimum=1)
    out = {}
    for key in GALLERY:
        law = closed_form(key, fan_in, fan_out)
        for stat, (lo, hi, why) in claim_ranges(law, n_draws, k).items():
            out[f"{key}_{stat}"] = {"min": lo, "max": hi, "why": f"{GALLERY[key][2]}: {why}"
                                    .replace("\n", " ")}
    return out
