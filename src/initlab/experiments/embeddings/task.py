"""Chapter 9's task and scores: pairs of words with hidden topics, and how a table groups them.

What: :func:`topic_task` (every ordered pair of ``n_tokens`` words, labelled by the sum of their
secret topics mod ``n_topics``, split at random); scores of a table ``E`` ``(n_tokens, dim)``:
:func:`knn_agreement` with the topics and its chance value :func:`knn_chance`,
:func:`max_pairwise_distance` (exactly 0 iff all rows are equal), :func:`pca_2d` for the
figures; and :func:`cooccurrence_vectors`, word vectors from co-occurrence counts alone.
"""

from __future__ import annotations

import numpy as np

from initlab._checks import check_int, check_rng

N_TOKENS, N_TOPICS, DIM = 40, 4, 16  # the task and table of the page
TRAIN_FRAC, K_NEIGHBOURS = 0.5, 5



def topic_task(rng: np.random.Generator, n_tokens: int = N_TOKENS, n_topics: int = N_TOPICS,
               train_frac: float = TRAIN_FRAC) -> dict:
    """Every pair of words, labelled ``(topic[a] + topic[b]) mod n_topics``, split at random.

    ``topic``: ``(n_tokens,)``, a random permutation of ``arange(n_tokens) % n_topics`` (each
    topic has ``n_tokens / n_topics`` words). All ``n_tokens^2`` ordered pairs ``(a, b)`` are
    shuffled; the first ``train_frac`` of them are ``T_train`` ``(n_train, 2)``, the rest
    ``T_test``, with labels ``y_train``, ``y_test``.
    """
    check_rng(rng)
    n_topics = check_int(n_topics, "n_topics", minimum=2)
    n_tokens = check_int(n_tokens, "n_tokens", minimum=n_topics)
    if n_tokens % n_topics:
        raise ValueError(f"`n_tokens` must be a multiple of n_topics={n_topics}, got {n_tokens}")
    if not 0.0 < train_frac < 1.0:
        raise ValueError(f"`train_frac` must be in (0, 1), got {train_frac!r}")
    topic = rng.permutation(np.arange(n_tokens) % n_topics)
    a, b = np.divmod(np.arange(n_tokens**2), n_tokens)
    T = np.stack([a, b], axis=1)[rng.permutation(n_tokens**2)]
    y = (topic[T[:, 0]] + topic[T[:, 1]]) % n_topics
    n_train = round(train_frac * len(T))
    return {"topic": topic, "n_topics": n_topics, "T_train": T[:n_train], "y_train": y[:n_train],
            "T_test": T[n_train:], "y_test": y[n_train:]}


def _sq_distances(E: np.ndarray) -> np.ndarray:
    """``(n, n)`` squared Euclidean distances between the rows of ``E`` ``(n, dim)``."""
    diff = E[:, None, :] - E[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def knn_agreement(E: np.ndarray, labels: np.ndarray, k: int = K_NEIGHBOURS) -> float:
    """Mean over rows of the fraction of its ``k`` nearest other rows that share its label.

    ``E``: ``(n, dim)``; ``labels``: ``(n,)``. Euclidean distance; ties broken by row index.
    For rows in general position unrelated to the labels the expectation is
    :func:`knn_chance` (each neighbour is a uniformly random other row).
    """
    E = np.asarray(E, dtype=np.float64)
    labels = np.asarray(labels)
    k = check_int(k, "k", minimum=1)
    if E.ndim != 2 or labels.shape != (len(E),) or not k < len(E):
        raise ValueError(f"need E (n, dim), labels (n,) and k < n; got E {E.shape}, "
                         f"labels {labels.shape}, k={k}")
    D = _sq_distances(E)
    np.fill_diagonal(D, np.inf)
    nearest = np.argsort(D, axis=1, kind="stable")[:, :k]
    return float(np.mean(labels[nearest] == labels[:, None]))


def knn_chance(labels: np.ndarray) -> float:
    """Expected :func:`knn_agreement` of random rows: ``sum_c n_c (n_c - 1) / (n (n - 1))``."""
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    n = counts.sum()
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))


def max_pairwise_distance(E: np.ndarray) -> float:
    """``max_{s,t} ||E[s] - E[t]||``: exactly 0 iff every row is the same vector."""
    return float(np.sqrt(_sq_distances(np.asarray(E, dtype=np.float64)).max()))


def pca_2d(E: np.ndarray) -> np.ndarray:
    """``(n, 2)``: the rows of ``E`` ``(n, dim)``, centred, on their top two principal axes.

    ``E - mean = U S V^T`` (SVD); the projection is ``(E - mean) @ V[:, :2] = U[:, :2] S[:2]``.
    Each axis' sign is fixed so that its largest-magnitude coordinate is positive.
    """
    Ec = np.asarray(E, dtype=np.float64) - np.mean(E, axis=0)
    U, S, _ = np.linalg.svd(Ec, full_matrices=False)
    P = U[:, :2] * S[:2]
    signs = np.sign(P[np.argmax(np.abs(P), axis=0), [0, 1]])
    return P * np.where(signs == 0, 1.0, signs)


def cooccurrence_vectors(T: np.ndarray, n_tokens: int = N_TOKENS, dim: int = DIM) -> np.ndarray:
    """``(n_tokens, dim)`` word vectors from co-occurrence counts alone, without the labels.

    ``C[s, t]`` counts the pairs of ``T`` ``(n, 2)`` holding ``s`` and ``t`` (either order);
    ``C = U S U^T`` (symmetric eigendecomposition, largest ``|S|`` first) and the vectors are
    ``U[:, :dim] * sqrt(|S[:dim]|)``: the count-based cousin of word2vec's objective
    (Levy and Goldberg 2014 show skip-gram factorises a shifted PMI matrix).
    """
    T = np.asarray(T)
    C = np.zeros((n_tokens, n_tokens))
    np.add.at(C, (T[:, 0], T[:, 1]), 1.0)
    C = C + C.T
    S, U = np.linalg.eigh(C)
    top = np.argsort(-np.abs(S), kind="stable")[:dim]
    return U[:, top] * np.sqrt(np.abs(S[top]))
