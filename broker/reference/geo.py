"""Great-circle distances on a spherical Earth."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points.

    Args:
        lat1: Latitude of the first point in degrees, in [-90, 90].
        lon1: Longitude of the first point in degrees.
        lat2: Latitude of the second point in degrees, in [-90, 90].
        lon2: Longitude of the second point in degrees.

    Returns:
        Distance in km, in [0, ~20,015].
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2
    h += math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def haversine_matrix_km(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Pairwise great-circle distances between points.

    Args:
        lat: Latitudes in degrees, shape (n,).
        lon: Longitudes in degrees, shape (n,).

    Returns:
        Symmetric float64 matrix of shape (n, n) in km, zero on the diagonal.
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    out: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    np.fill_diagonal(out, 0.0)
    return (out + out.T) / 2  # exact symmetry despite rounding
