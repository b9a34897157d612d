"""Small statistics the metrics share: the 95% z value and the Wilson interval for a share."""

from __future__ import annotations

import math

Z95 = 1.96


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a share k/n, within 0-1; (nan, nan) when n is 0.

    8/10: centre (0.8 + 1.9208/10) / 1.38416 = 0.7167, half 1.96 sqrt(0.016 + 0.0096) / 1.38416 = 0.2266.

    Examples
    --------
    >>> tuple(round(x, 4) for x in wilson_interval(8, 10))
    (0.4902, 0.9433)
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
