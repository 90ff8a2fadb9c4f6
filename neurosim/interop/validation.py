"""Compare two simulations of one network: spike for spike, then in statistics.

Two correct simulators of the same network agree spike for spike until
floating-point rounding, amplified by chaotic dynamics, makes one neuron cross
its threshold one step earlier or later; from then on they are two samples of
the same stationary process and can only agree in statistics. The functions
here measure both: :func:`first_divergence` finds the step where two spike
lists first differ; :func:`spike_statistics` and :func:`compare_statistics`
give population rates, coefficients of variation of the inter-spike
intervals and Fano factors with confidence intervals of their differences.

All inputs are plain arrays: spike indices, spike steps (int) and the step
``dt`` in seconds, as neurosim monitors and the Brian2 export produce them.
"""
import numpy as np
from scipy import stats

__all__ = ["first_divergence", "spike_statistics", "compare_statistics"]


def _keys(steps, i, width):
    return np.sort(np.asarray(steps, np.int64) * width + np.asarray(i, np.int64))


def first_divergence(steps_a, i_a, steps_b, i_b):
    """First time step at which two spike lists differ.

    Parameters
    ----------
    steps_a, i_a : array of int
        Steps and neuron indices of the spikes of the first simulation.
    steps_b, i_b : array of int
        The same for the second.

    Returns
    -------
    int or None
        The earliest step whose set of spiking neurons differs between the two,
        or None when the lists are identical.

    Examples
    --------
    >>> first_divergence([1, 2, 5], [0, 3, 1], [1, 2, 6], [0, 3, 1])
    5
    >>> first_divergence([1], [0], [1], [0]) is None
    True
    """
    width = int(max(np.max(i_a, initial=0), np.max(i_b, initial=0))) + 1
    a, b = _keys(steps_a, i_a, width), _keys(steps_b, i_b, width)
    m = min(a.size, b.size)
    diff = np.flatnonzero(a[:m] != b[:m])
    if diff.size:
        k = diff[0]
        return int(min(a[k], b[k]) // width)
    if a.size == b.size:
        return None
    return int((a[m] if a.size > m else b[m]) // width)


def spike_statistics(steps, i, n, dt, t_start, t_stop, block=0.1, window=0.1, min_isi=5):
    """Population rate, CV of ISIs and Fano factors of a spike list.

    Parameters
    ----------
    steps, i : array of int
        Spike steps and neuron indices (``0 <= i < n``).
    n : int
        Number of neurons.
    dt : float
        Time step, seconds.
    t_start, t_stop : float
        Analysis window in seconds (leave out the initial transient).
    block : float, optional
        Length (s) of the time blocks whose population rates give the
        confidence interval of the mean rate (default 0.1 s).
    window : float, optional
        Counting window (s) of the Fano factor (default 0.1 s).
    min_isi : int, optional
        Neurons with fewer inter-spike intervals have no CV (default 5).

    Returns
    -------
    dict
        ``rate`` (mean rate per neuron, Hz), ``rate_se`` (its standard error
        from the spread of block rates), ``cv`` and ``cv_se`` (mean CV of ISIs
        over the neurons with at least ``min_isi`` intervals, and its standard
        error over neurons), ``fano`` and ``fano_se`` (mean Fano factor of the
        spike counts in ``window`` over neurons that fired, and its standard
        error), and the per-neuron arrays ``cv_all``, ``fano_all``, ``rates``.
    """
    steps = np.asarray(steps, np.int64)
    i = np.asarray(i, np.int64)
    s0, s1 = int(round(t_start / dt)), int(round(t_stop / dt))
    keep = (steps >= s0) & (steps < s1)
    steps, i = steps[keep], i[keep]
    duration = (s1 - s0) * dt
    rates = np.bincount(i, minlength=n) / duration
    # population rate per block: its spread gives the standard error of the mean
    nb_steps = max(1, int(round(block / dt)))
    n_blocks = (s1 - s0) // nb_steps
    blk = (steps - s0) // nb_steps
    blk_rates = np.bincount(blk[blk < n_blocks], minlength=n_blocks) / (n * nb_steps * dt)
    # CV of ISIs, per neuron
    order = np.lexsort((steps, i))
    si, ss = i[order], steps[order]
    isi = np.diff(ss).astype(float)
    same = si[1:] == si[:-1]
    cv = np.full(n, np.nan)
    if same.any():
        owner = si[1:][same]
        isi = isi[same]
        cnt = np.bincount(owner, minlength=n)
        mean = np.bincount(owner, isi, minlength=n) / np.maximum(cnt, 1)
        var = np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n) / np.maximum(cnt - 1, 1)
        ok = cnt >= min_isi
        cv[ok] = np.sqrt(var[ok]) / mean[ok]
    # Fano factor of counts in windows
    nw_steps = max(1, int(round(window / dt)))
    n_win = (s1 - s0) // nw_steps
    w = (steps - s0) // nw_steps
    inw = w < n_win
    counts = np.zeros((n, n_win))
    np.add.at(counts, (i[inw], w[inw]), 1.0)
    m = counts.mean(axis=1)
    fano = np.full(n, np.nan)
    fired = m > 0
    fano[fired] = counts[fired].var(axis=1, ddof=1) / m[fired]
    cvs, fanos = cv[np.isfinite(cv)], fano[np.isfinite(fano)]

    def se(x):
        return float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else np.nan

    return dict(rate=float(rates.mean()), rate_se=se(blk_rates),
                cv=float(cvs.mean()) if cvs.size else np.nan, cv_se=se(cvs),
                fano=float(fanos.mean()) if fanos.size else np.nan, fano_se=se(fanos),
                rates=rates, cv_all=cv, fano_all=fano, n_cv=int(cvs.size),
                n_fano=int(fanos.size))


def compare_statistics(a, b, level=0.99):
    """Are two sets of :func:`spike_statistics` compatible?

    For each of ``rate``, ``cv`` and ``fano``, the difference ``b - a`` and the
    half width of its two-sided confidence interval at ``level``,
    ``z * sqrt(se_a**2 + se_b**2)`` (normal approximation); the statistic
    agrees when the interval contains 0.

    Returns
    -------
    dict
        ``{name: dict(a=..., b=..., diff=..., half_width=..., agree=bool)}``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    out = {}
    for name in ("rate", "cv", "fano"):
        half = float(z * np.hypot(a[name + "_se"], b[name + "_se"]))
        diff = float(b[name] - a[name])
        out[name] = dict(a=float(a[name]), b=float(b[name]), diff=diff, half_width=half,
                         agree=bool(abs(diff) <= half))
    return out
