"""Plots of recorded activity; every function returns the matplotlib Axes it drew into."""
import numpy as np

from .monitors import RateMonitor, SpikeMonitor, StateMonitor, _smooth_rate
from .units import ms

__all__ = ["plot_raster", "plot_rate", "plot_state"]

_COLORS = ("#1f4e9c", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#555555")


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(8, 4))
    return ax


def _unit_name(unit):
    from ._validation import has_unit
    from .units import second
    names = {1e-3: "ms", 1.0: "s", 1e-6: "us", 1e-9: "ns"}
    scale = round(float(unit), 12) if has_unit(unit, second) else None
    if scale not in names:
        raise ValueError(f"time_unit={unit!r} must be one of s, ms, us, ns")
    return names[scale]


def plot_raster(*monitors, ax=None, time_unit=ms, colors=None, labels=None, markersize=1.5,
                **kwargs):
    """Spike raster of one or several populations, stacked and coloured by population.

    Parameters
    ----------
    *monitors : SpikeMonitor or (indices, times) tuples
        One entry per population, drawn from the bottom up; give the excitatory
        and inhibitory monitors separately to tell them apart. Times in seconds.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    time_unit : Quantity, optional
        Unit of the time axis (default ms).
    colors, labels : sequence, optional
        One colour and one legend label per population; labels default to the
        monitored groups' names. The legend (two or more populations) stands
        right of the axes, where it hides no spike. A figure made here is
        narrowed to hold it; in a figure of your own, ``fig.tight_layout()``
        makes room for it.
    markersize : float, optional
        Size of the spike markers, in points (default 1.5).
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import neurosim as ns
    >>> ax = ns.plot_raster(([0, 1, 1], [0.001, 0.002, 0.004]))
    >>> ax.get_xlabel()
    'time (ms)'
    """
    if not monitors:
        raise ValueError("plot_raster needs at least one SpikeMonitor or (indices, times) pair")
    for what, given in (("colors", colors), ("labels", labels)):
        if given is not None and len(given) != len(monitors):
            raise ValueError(f"{what} has {len(given)} entries for {len(monitors)} "
                             f"population(s); give one per population")
    own_figure = ax is None
    ax = _axes(ax)
    scale, unit = float(time_unit), _unit_name(time_unit)
    offset = 0
    for k, mon in enumerate(monitors):
        if isinstance(mon, SpikeMonitor):
            i, t, n, name = mon.i, mon.t, mon.source.n, mon.source.name
        elif isinstance(mon, tuple) and len(mon) == 2:
            i, t = np.asarray(mon[0]), np.asarray(mon[1], dtype=float)
            n, name = (int(i.max()) + 1 if i.size else 0), None
        else:
            raise TypeError(f"monitors[{k}]={mon!r} must be a SpikeMonitor or a tuple "
                            "(indices, times)")
        color = colors[k] if colors else _COLORS[k % len(_COLORS)]
        label = labels[k] if labels else name
        ax.plot(t / scale, i + offset, ".", ms=markersize, color=color, label=label,
                linestyle="none", **kwargs)
        offset += n
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("neuron index")
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    if len(monitors) > 1 and (labels or any(isinstance(m, SpikeMonitor) for m in monitors)):
        # right of the axes, not inside: a raster fills its axes, so any place inside
        # hides spikes (fig.tight_layout() and savefig(bbox_inches="tight") make room)
        legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0,
                           markerscale=6, frameon=False)
        if own_figure:
            _make_room_right(ax, legend)
    return ax


def _make_room_right(ax, legend, pad=4.0):
    """Narrow the axes of a figure made here until ``legend`` (right of them) fits in it.

    Only for figures that plot_raster created: a figure the caller gave is laid out
    by the caller. ``pad`` is the margin left at the figure's edge, in points.
    """
    fig = ax.figure
    if fig.get_layout_engine() is not None:
        return          # rcParams chose constrained or tight layout: it places the legend
    renderer = fig.canvas.get_renderer()
    overflow = legend.get_window_extent(renderer).x1 + pad * fig.dpi / 72 - fig.bbox.x1
    if overflow > 0:
        box = ax.get_position()
        # the legend starts at 1.01 axes widths: narrowing the axes by d moves it by 1.01 d
        right = box.x1 - overflow / (1.01 * fig.bbox.width)
        fig.subplots_adjust(right=max(right, box.x0 + 0.1 * box.width))


def plot_rate(monitor, ax=None, time_unit=ms, smooth=None, **kwargs):
    """Population rate over time.

    Parameters
    ----------
    monitor : RateMonitor
        The recorded population rate.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    time_unit : Quantity, optional
        Unit of the time axis (default ms).
    smooth : Quantity, optional
        Width of a flat smoothing window (time); default none.
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import neurosim as ns
    >>> from neurosim.units import ms, Hz
    >>> noise = ns.PoissonGroup(100, 20*Hz)
    >>> rate = ns.RateMonitor(noise)
    >>> ns.Network(noise, rate).run(50*ms, dt=0.1*ms, seed=0)
    >>> ax = ns.plot_rate(rate, smooth=5*ms)
    >>> ax.get_ylabel()
    'rate (Hz)'
    """
    if not isinstance(monitor, RateMonitor):
        raise TypeError(f"monitor={monitor!r} must be a RateMonitor")
    ax = _axes(ax)
    rate = monitor.rate if smooth is None else _smooth_rate(monitor.rate, monitor.dt, smooth,
                                                            "smooth")
    ax.plot(monitor.t / float(time_unit), rate, **kwargs)
    ax.set_xlabel(f"time ({_unit_name(time_unit)})")
    ax.set_ylabel("rate (Hz)")
    return ax


def plot_state(monitor, variable, ax=None, time_unit=ms, unit=None, **kwargs):
    """Traces of one recorded state variable, one line per recorded neuron.

    Parameters
    ----------
    monitor : StateMonitor
        The recorded state.
    variable : str
        A variable the monitor records.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    time_unit : Quantity, optional
        Unit of the time axis (default ms).
    unit : Quantity, optional
        Unit of the values (e.g. mV); default SI.
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import neurosim as ns
    >>> from neurosim.units import ms, mV
    >>> cell = ns.NeuronGroup(1, ns.LIF(10*ms, -70*mV, -70*mV, -50*mV), v=-60*mV)
    >>> trace = ns.StateMonitor(cell, "v")
    >>> ns.Network(cell, trace).run(5*ms, dt=0.1*ms, seed=0)
    >>> ax = ns.plot_state(trace, "v", unit=mV)
    >>> ax.get_ylabel()
    'v (mV)'
    """
    if not isinstance(monitor, StateMonitor):
        raise TypeError(f"monitor={monitor!r} must be a StateMonitor")
    values = getattr(monitor, variable)
    ax = _axes(ax)
    scale = 1.0 if unit is None else float(unit)
    ax.plot(monitor.t / float(time_unit), (values / scale).T, **kwargs)
    ax.set_xlabel(f"time ({_unit_name(time_unit)})")
    ax.set_ylabel(variable if unit is None else f"{variable} ({_value_unit_name(unit)})")
    return ax


def _value_unit_name(unit):
    text = str(unit)
    return text.split()[-1] if text[0].isdigit() else text
