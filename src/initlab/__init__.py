"""initlab: the pure-numpy library behind the Initialization Lab book.

Modules (one concept each): initializers, activations, losses, network, optim, train,
diagnostics, theory, datasets, sweep, results, plotting, book, bench.

Conventions used everywhere: weights have shape ``(n_in, n_out)``, rows of ``X`` are
examples, ``Z = X @ W + b``; every random draw takes an explicit
``rng: numpy.random.Generator``; float64 unless a function says otherwise.
"""

__version__ = "0.1.0"
