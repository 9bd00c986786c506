"""The result keys of chapter 8's gallery, written out: every key a page cites is in the code.

What: for each :data:`~initlab.experiments.initializer_gallery.laws.GALLERY` initializer, the keys
under which :func:`~initlab.experiments.initializer_gallery.draw_gallery` returns its measured
``mean``, ``std``, ``min``, ``max`` (``ddof = 0``), the closed form's mean and std, and its bound
(``None``: the law is unbounded, no bound is recorded), in the order of :data:`STATS`.
Why: a reader who sees ``glorot_uniform_max`` on the page finds it here verbatim (no key is
assembled from pieces); ``data/reference/08_initializer_gallery.json`` checks every one.
Shapes: ``RESULT_KEYS[initializer]`` is a tuple of ``len(STATS)`` strings (or ``None``).
"""

from __future__ import annotations

STATS = ("mean", "std", "min", "max", "mean_theory", "std_theory", "bound")

RESULT_KEYS: dict[str, tuple[str | None, ...]] = {
    "random_normal": ("random_normal_mean", "random_normal_std", "random_normal_min",
                      "random_normal_max", "random_normal_mean_theory", "random_normal_std_theory",
                      None),
    "random_uniform": ("random_uniform_mean", "random_uniform_std", "random_uniform_min",
                       "random_uniform_max", "random_uniform_mean_theory",
                       "random_uniform_std_theory", "random_uniform_bound"),
    "truncated_normal": ("truncated_normal_mean", "truncated_normal_std", "truncated_normal_min",
                         "truncated_normal_max", "truncated_normal_mean_theory",
                         "truncated_normal_std_theory", "truncated_normal_bound"),
    "zeros": ("zeros_mean", "zeros_std", "zeros_min", "zeros_max", "zeros_mean_theory",
              "zeros_std_theory", "zeros_bound"),
    "ones": ("ones_mean", "ones_std", "ones_min", "ones_max", "ones_mean_theory", "ones_std_theory",
             "ones_bound"),
    "constant": ("constant_mean", "constant_std", "constant_min", "constant_max",
                 "constant_mean_theory", "constant_std_theory", "constant_bound"),
    "glorot_normal": ("glorot_normal_mean", "glorot_normal_std", "glorot_normal_min",
                      "glorot_normal_max", "glorot_normal_mean_theory", "glorot_normal_std_theory",
                      "glorot_normal_bound"),
    "glorot_uniform": ("glorot_uniform_mean", "glorot_uniform_std", "glorot_uniform_min",
                       "glorot_uniform_max", "glorot_uniform_mean_theory",
                       "glorot_uniform_std_theory", "glorot_uniform_bound"),
    "he_normal": ("he_normal_mean", "he_normal_std", "he_normal_min", "he_normal_max",
                  "he_normal_mean_theory", "he_normal_std_theory", "he_normal_bound"),
    "he_uniform": ("he_uniform_mean", "he_uniform_std", "he_uniform_min", "he_uniform_max",
                   "he_uniform_mean_theory", "he_uniform_std_theory", "he_uniform_bound"),
    "lecun_normal": ("lecun_normal_mean", "lecun_normal_std", "lecun_normal_min",
                     "lecun_normal_max", "lecun_normal_mean_theory", "lecun_normal_std_theory",
                     "lecun_normal_bound"),
    "lecun_uniform": ("lecun_uniform_mean", "lecun_uniform_std", "lecun_uniform_min",
                      "lecun_uniform_max", "lecun_uniform_mean_theory", "lecun_uniform_std_theory",
                      "lecun_uniform_bound"),
    "variance_scaling": ("variance_scaling_mean", "variance_scaling_std", "variance_scaling_min",
                         "variance_scaling_max", "variance_scaling_mean_theory",
                         "variance_scaling_std_theory", None),
    "glorot_standard": ("glorot_standard_mean", "glorot_standard_std", "glorot_standard_min",
                        "glorot_standard_max", "glorot_standard_mean_theory",
                        "glorot_standard_std_theory", "glorot_standard_bound"),
    "pytorch_linear": ("pytorch_linear_mean", "pytorch_linear_std", "pytorch_linear_min",
                       "pytorch_linear_max", "pytorch_linear_mean_theory",
                       "pytorch_linear_std_theory", "pytorch_linear_bound"),
    "identity": ("identity_mean", "identity_std", "identity_min", "identity_max",
                 "identity_mean_theory", "identity_std_theory", "identity_bound"),
    "orthogonal": ("orthogonal_mean", "orthogonal_std", "orthogonal_min", "orthogonal_max",
                   "orthogonal_mean_theory", "orthogonal_std_theory", "orthogonal_bound"),
}
