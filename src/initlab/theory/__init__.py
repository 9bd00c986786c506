"""Closed-form and quadrature predictions that the chapters overlay on simulations.

What, by module (a fully connected net ``Z_l = A_{l-1} @ W_l + b_l``, ``A_l = phi(Z_l)``,
weights ``(n_in, n_out)`` with i.i.d. entries of variance ``weight_var``,
``sigma_w2 = fan_in * weight_var``, bias variance ``sigma_b2``):

- :mod:`.variance`: variance propagation through depth (Glorot & Bengio 2010; He et al.
  2015): the per-layer factors ``c``, ``c'`` and the geometric profiles they give.
- :mod:`.gaussian`: Gaussian expectations by quadrature, the engine of the mean field.
- :mod:`.mean_field`: length and correlation maps, fixed points, ``chi_1``, depth scales and
  the order-to-chaos line (Poole et al. 2016; Schoenholz et al. 2017).
- :mod:`.propagation`: the same maps iterated layer by layer (per-layer profiles with their
  own ``sigma_w2`` per layer and one length per example, correlation trajectories).
- :mod:`.random_matrices`: Jacobian spectra at criticality (Pennington et al. 2017),
  Lyapunov exponents of Gaussian products (Newman 1986), the finite-width spread
  ``sqrt(5 L / n)`` of a ReLU net (Hanin & Rolnick 2018).
- :mod:`.deep_linear`: the learning dynamics of deep linear nets (Saxe et al. 2014).

Activations come from the package's one table, :mod:`initlab.activations` (a name or an
``Activation``). Why: a figure of a simulation means little without the line theory draws
through it; these functions are that line, each tested against an independent reference
(closed forms, Monte Carlo, seeded simulations, root finding) in ``tests/test_theory*.py``.
Everything is float64; functions take scalars (returning floats) or arrays (returning arrays
of the same shape) where stated.

Usage: ``from initlab import theory; theory.chi_1(2.0, 0.05, "tanh")``.
"""

from initlab.theory.deep_linear import saxe_forget_time, saxe_half_time, saxe_mode_strength
from initlab.theory.gaussian import gaussian_expectation, gaussian_expectation_2d
from initlab.theory.mean_field import (
    MEAN_FIELD_ACTIVATIONS,
    chi_1,
    correlation_map,
    critical_sigma_w2,
    depth_scales,
    depth_scales_grid,
    fixed_point_c,
    fixed_point_q,
    length_map,
)
from initlab.theory.propagation import (
    correlation_trajectory,
    mean_field_layers,
    mean_field_profile,
)
from initlab.theory.random_matrices import (
    S_TRANSFORM_S1,
    critical_point,
    finite_width_log_std,
    jacobian_spread,
    lyapunov_exponents,
)
from initlab.theory.variance import (
    activation_derivative_moment_factor,
    activation_second_moment_factor,
    backward_factor,
    predicted_gradient_variance,
    predicted_variance,
    small_signal_factors,
    small_signal_rate,
)

__all__ = [
    "MEAN_FIELD_ACTIVATIONS",
    "S_TRANSFORM_S1",
    "activation_derivative_moment_factor",
    "activation_second_moment_factor",
    "backward_factor",
    "chi_1",
    "correlation_map",
    "correlation_trajectory",
    "critical_point",
    "critical_sigma_w2",
    "depth_scales",
    "depth_scales_grid",
    "finite_width_log_std",
    "fixed_point_c",
    "fixed_point_q",
    "gaussian_expectation",
    "gaussian_expectation_2d",
    "jacobian_spread",
    "length_map",
    "lyapunov_exponents",
    "mean_field_layers",
    "mean_field_profile",
    "predicted_gradient_variance",
    "predicted_variance",
    "saxe_forget_time",
    "saxe_half_time",
    "saxe_mode_strength",
    "small_signal_factors",
    "small_signal_rate",
]
