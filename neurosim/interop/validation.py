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
    >>> from neurosim.interop.validation import first_divergence
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


def spike_statistics(steps, i, n, dt, t_start, t_stop, n_blocks=10, window=0.05, min_isi=5):
    """Population rate, CV of ISIs and Fano factor of a spike list, with standard errors.

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
    n_blocks : int, optional
        Number of contiguous time blocks for the delete-a-block jackknife that
        gives the standard errors (default 10).
    window : float, optional
        Counting window (s) of the Fano factor (default 0.05 s).
    min_isi : int, optional
        Neurons with fewer inter-spike intervals have no CV (default 5).

    Returns
    -------
    dict
        ``rate`` (mean rate per neuron, Hz), ``cv`` (mean over neurons of the
        CV of their inter-spike intervals, for neurons with at least
        ``min_isi`` intervals), ``fano`` (mean over active neurons of the
        variance over mean of their spike counts in ``window``), each with its
        standard error ``<name>_se``, and ``n_blocks``.

    Notes
    -----
    The neurons of a network are not independent samples: slow fluctuations of
    the population activity move the rates, CVs and Fano factors of all
    neurons together, so an error from the spread over neurons is far too
    small. The errors here come from the delete-a-block jackknife over time
    (Efron & Stein 1981; Kuensch 1989): the statistic is recomputed with each
    of ``n_blocks`` contiguous blocks left out, and
    ``se**2 = (K - 1)/K * sum_k (theta_k - mean(theta))**2``, which captures
    fluctuations slower than one window and faster than one block.

    Examples
    --------
    Poisson spike trains at 20 Hz have a CV and a Fano factor of 1:

    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz, second
    >>> from neurosim.interop.validation import spike_statistics
    >>> noise = ns.PoissonGroup(100, 20*Hz)
    >>> mon = ns.SpikeMonitor(noise)
    >>> ns.Network(noise, mon).run(2*second, dt=1*ms, seed=1)
    >>> s = spike_statistics(mon.steps, mon.i, n=100, dt=1e-3, t_start=0.0, t_stop=2.0)
    >>> round(s["rate"]), round(s["cv"], 1), round(s["fano"], 1)
    (20, 1.0, 1.0)
    """
    steps = np.asarray(steps, np.int64)
    i = np.asarray(i, np.int64)
    nw = max(1, int(round(window / dt)))
    s0 = int(round(t_start / dt))
    n_win = (int(round(t_stop / dt)) - s0) // nw
    if n_win < 2 * n_blocks:
        raise ValueError(f"{n_win} counting windows of {window * 1e3:g} ms cannot be split into "
                         f"n_blocks={n_blocks} blocks of two or more; analyse a longer time")
    keep = (steps >= s0) & (steps < s0 + n_win * nw)
    steps, i = steps[keep], i[keep]
    win = (steps - s0) // nw
    counts = np.zeros((n, n_win))
    np.add.at(counts, (i, win), 1.0)
    block_of_window = np.arange(n_win) * n_blocks // n_win
    # inter-spike intervals, each in the block of its second spike
    order = np.lexsort((steps, i))
    si, ss = i[order], steps[order]
    same = si[1:] == si[:-1]
    isi_owner = si[1:][same]
    isi = np.diff(ss)[same].astype(float)
    isi_block = block_of_window[win[order][1:][same]]

    def measure(use_block):
        use_win = use_block[block_of_window]
        rate = counts[:, use_win].sum() / (n * use_win.sum() * nw * dt)
        sel = use_block[isi_block]
        owner, x = isi_owner[sel], isi[sel]
        cnt = np.bincount(owner, minlength=n)
        mean = np.bincount(owner, x, minlength=n) / np.maximum(cnt, 1)
        var = np.bincount(owner, (x - mean[owner]) ** 2, minlength=n) / np.maximum(cnt - 1, 1)
        ok = cnt >= min_isi
        cv = float(np.mean(np.sqrt(var[ok]) / mean[ok])) if ok.any() else np.nan
        c = counts[:, use_win]
        m = c.mean(axis=1)
        active = m > 0
        fano = float(np.mean(c[active].var(axis=1, ddof=1) / m[active])) if active.any() \
            else np.nan
        return np.array([rate, cv, fano])

    full = measure(np.ones(n_blocks, dtype=bool))
    loo = np.array([measure(np.arange(n_blocks) != k) for k in range(n_blocks)])
    se = np.sqrt((n_blocks - 1) / n_blocks * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))
    out = dict(n_blocks=n_blocks)
    for k, name in enumerate(("rate", "cv", "fano")):
        out[name], out[name + "_se"] = float(full[k]), float(se[k])
    return out


def compare_statistics(a, b, level=0.99):
    """Test whether two sets of :func:`spike_statistics` are compatible.

    For each of ``rate``, ``cv`` and ``fano``: the difference ``b - a`` and the
    half width of its two-sided confidence interval at ``level``,
    ``t * sqrt(se_a**2 + se_b**2)`` with Student's ``t`` for ``n_blocks - 1``
    degrees of freedom (conservative: the jackknife errors rest on few
    blocks). The statistic agrees when the interval contains 0.

    Parameters
    ----------
    a, b : dict
        Results of :func:`spike_statistics` for the two simulations.
    level : float, optional
        Confidence level of the intervals, in (0, 1); default 0.99.

    Returns
    -------
    dict
        ``{name: dict(a=..., b=..., diff=..., half_width=..., agree=bool)}``.

    Examples
    --------
    Two seeds of the same Poisson population agree in statistics:

    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz, second
    >>> from neurosim.interop.validation import compare_statistics, spike_statistics
    >>> def statistics(seed):
    ...     noise = ns.PoissonGroup(100, 20*Hz)
    ...     mon = ns.SpikeMonitor(noise)
    ...     ns.Network(noise, mon).run(2*second, dt=1*ms, seed=seed)
    ...     return spike_statistics(mon.steps, mon.i, n=100, dt=1e-3, t_start=0.0,
    ...                             t_stop=2.0)
    >>> result = compare_statistics(statistics(1), statistics(2))
    >>> {name: r["agree"] for name, r in result.items()}
    {'rate': True, 'cv': True, 'fano': True}
    """
    df = min(a["n_blocks"], b["n_blocks"]) - 1
    t = stats.t.ppf(0.5 + level / 2, df)
    out = {}
    for name in ("rate", "cv", "fano"):
        half = float(t * np.hypot(a[name + "_se"], b[name + "_se"]))
        diff = float(b[name] - a[name])
        out[name] = dict(a=float(a[name]), b=float(b[name]), diff=diff, half_width=half,
                         agree=bool(abs(diff) <= half))
    return out
