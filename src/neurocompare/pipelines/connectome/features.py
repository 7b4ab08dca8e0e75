"""Pure connectome feature math: vectorisation, graph measures, persistent homology.

Every function takes one subject's (n_rois, n_rois) matrix (or a stack) and returns
numbers; the estimators in :mod:`.transformers` are thin wrappers. Backends of the
persistence diagrams sit behind a name -> function dict (:data:`DIAGRAMS`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "DIAGRAMS",
    "betti_curve",
    "clustering",
    "correlation_distance",
    "graph_measures",
    "nodal_efficiency",
    "persistence_features",
    "proportional_threshold",
    "sym_to_vec",
]


def sym_to_vec(matrices: np.ndarray, discard_diagonal: bool = True) -> np.ndarray:
    """Lower triangle of symmetric matrices, as nilearn's ``sym_matrix_to_vec``.

    With ``discard_diagonal`` the strict lower triangle is returned, except for 1x1
    matrices, whose single (diagonal) entry is kept so that a one-ROI connectome is one
    feature rather than none. Without it the diagonal is divided by sqrt(2) (norm kept).

    Parameters
    ----------
    matrices : ndarray, shape (..., n_rois, n_rois)

    Returns
    -------
    ndarray, shape (..., n_rois * (n_rois - 1) / 2) or (..., n_rois * (n_rois + 1) / 2)
    """
    n = matrices.shape[-1]
    if discard_diagonal and n > 1:
        return matrices[..., np.tril(np.ones((n, n), dtype=bool), k=-1)]
    scale = np.ones((n, n))
    np.fill_diagonal(scale, np.sqrt(2.0))
    mask = np.tril(np.ones((n, n), dtype=bool))
    return matrices[..., mask] / scale[mask]


def proportional_threshold(weights: np.ndarray, density: float) -> np.ndarray:
    """Binary graph keeping the strongest positive edges (proportional thresholding).

    Parameters
    ----------
    weights : ndarray, shape (n_rois, n_rois)
        Symmetric connectivity (the diagonal is ignored).
    density : float
        Fraction of the n_rois * (n_rois - 1) / 2 possible edges kept (ties broken by
        position); only positive weights can be kept.

    Returns
    -------
    ndarray of bool, shape (n_rois, n_rois)
        Symmetric adjacency, zero diagonal.
    """
    n = weights.shape[0]
    rows, cols = np.tril_indices(n, k=-1)
    values = weights[rows, cols]
    n_keep = min(round(density * len(values)), int((values > 0).sum()))
    keep = np.argsort(-values, kind="stable")[:n_keep]
    adjacency = np.zeros((n, n), dtype=bool)
    adjacency[rows[keep], cols[keep]] = True
    return adjacency | adjacency.T


def clustering(adjacency: np.ndarray) -> np.ndarray:
    """Binary clustering coefficient per node, shape (n_rois,) (0 where degree < 2)."""
    a = adjacency.astype(np.float64)
    triangles = np.einsum("ij,jk,ki->i", a, a, a)
    degree = a.sum(axis=1)
    pairs = degree * (degree - 1)
    return np.divide(triangles, pairs, out=np.zeros_like(triangles), where=pairs > 0)


def nodal_efficiency(adjacency: np.ndarray) -> np.ndarray:
    """Mean inverse shortest-path length from each node to the others, shape (n_rois,)."""
    n = adjacency.shape[0]
    if n < 2:
        return np.zeros(n)
    distances = shortest_path(adjacency.astype(np.float64), unweighted=True, directed=False)
    with np.errstate(divide="ignore"):
        inverse = np.where(np.isfinite(distances) & (distances > 0), 1.0 / distances, 0.0)
    return inverse.sum(axis=1) / (n - 1)


def graph_measures(weights: np.ndarray, density: float) -> np.ndarray:
    """Node and global graph measures of one thresholded connectome.

    Parameters
    ----------
    weights : ndarray, shape (n_rois, n_rois)
    density : float
        Edge density of the binary graph (:func:`proportional_threshold`).

    Returns
    -------
    ndarray, shape (4 * n_rois + 2,)
        Per node: degree, strength (sum of kept weights), clustering, nodal efficiency;
        then global efficiency and transitivity.
    """
    adjacency = proportional_threshold(weights, density)
    degree = adjacency.sum(axis=1).astype(np.float64)
    strength = np.where(adjacency, weights, 0.0).sum(axis=1)
    local = clustering(adjacency)
    efficiency = nodal_efficiency(adjacency)
    pairs = (degree * (degree - 1)).sum()
    a = adjacency.astype(np.float64)
    transitivity = np.trace(a @ a @ a) / pairs if pairs > 0 else 0.0
    return np.concatenate([degree, strength, local, efficiency,
                           [efficiency.mean() if efficiency.size else 0.0, transitivity]])


def correlation_distance(correlation: np.ndarray) -> np.ndarray:
    """``sqrt(2 (1 - r))``, the Euclidean distance of z-scored series; zero diagonal.

    Parameters
    ----------
    correlation : ndarray, shape (n_rois, n_rois)

    Returns
    -------
    ndarray, shape (n_rois, n_rois), values in [0, 2]
    """
    distance = np.sqrt(np.clip(2.0 * (1.0 - correlation), 0.0, 4.0))
    np.fill_diagonal(distance, 0.0)
    return (distance + distance.T) / 2


def _ripser(distance: np.ndarray, maxdim: int) -> list[np.ndarray]:
    from ripser import ripser

    return [np.asarray(d, dtype=np.float64).reshape(-1, 2)
            for d in ripser(distance, distance_matrix=True, maxdim=maxdim)["dgms"]]


def _gudhi(distance: np.ndarray, maxdim: int) -> list[np.ndarray]:
    import gudhi

    tree = gudhi.RipsComplex(distance_matrix=distance).create_simplex_tree(
        max_dimension=maxdim + 1)
    tree.compute_persistence()
    return [np.asarray(tree.persistence_intervals_in_dimension(k), dtype=np.float64)
            .reshape(-1, 2) for k in range(maxdim + 1)]


#: Backend -> function(distance matrix, maxdim) -> [diagram of H0, ..., H_maxdim], each
#: an array of (birth, death) rows (death ``inf`` for classes that never die).
DIAGRAMS: dict[str, Callable[[np.ndarray, int], list[np.ndarray]]] = {
    "ripser": _ripser, "gudhi": _gudhi}


def betti_curve(diagram: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Number of classes alive at each filtration value: ``#{birth <= t < death}``.

    Parameters
    ----------
    diagram : ndarray, shape (n_classes, 2)
    grid : ndarray, shape (n_bins,)

    Returns
    -------
    ndarray, shape (n_bins,)
    """
    births, deaths = diagram[:, :1], diagram[:, 1:2]
    return ((births <= grid[None]) & (grid[None] < deaths)).sum(axis=0).astype(np.float64)


def persistence_features(correlation: np.ndarray, *, n_bins: int = 40, maxdim: int = 1,
                         backend: str = "ripser") -> np.ndarray:
    """Betti curves and lifetime summaries of the Vietoris-Rips filtration of a connectome.

    Parameters
    ----------
    correlation : ndarray, shape (n_rois, n_rois)
        The filtration runs over :func:`correlation_distance`.
    n_bins : int
        Points of each Betti curve, evenly spaced over [0, 2].
    maxdim : int
        Highest homology dimension (1: components and loops).
    backend : {"ripser", "gudhi"}

    Returns
    -------
    ndarray, shape ((maxdim + 1) * (n_bins + 3),)
        Per dimension: the Betti curve, then the total and maximum finite lifetime and the
        number of finite classes.
    """
    diagrams = DIAGRAMS[backend](correlation_distance(correlation), maxdim)
    grid = np.linspace(0.0, 2.0, n_bins)
    parts = []
    for diagram in diagrams:
        finite = diagram[np.isfinite(diagram[:, 1])]
        life = finite[:, 1] - finite[:, 0]
        parts += [betti_curve(diagram, grid),
                  [life.sum(), life.max() if life.size else 0.0, float(len(life))]]
    return np.concatenate(parts)
