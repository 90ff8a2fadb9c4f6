"""Plots draw what the monitors recorded, and return the Axes with labels.

Each plot's line data is read back from the returned matplotlib Axes and
compared with the monitor's arrays (converted to the requested units), so a
plot of the wrong data, the wrong unit or the wrong stacking fails. Uses the
non-interactive Agg backend (set in conftest).
"""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

import neurosim as ns
from neurosim.units import Hz, mV, ms, second, us

DT = 1e-4


@pytest.fixture
def recorded():
    """Two populations with known spikes, a rate and a voltage trace."""
    exc = ns.SpikeGeneratorGroup(4, [0, 3, 1, 3], [1, 2, 3, 4] * ms, name="exc")
    inh = ns.SpikeGeneratorGroup(2, [1, 0], [1.5, 5] * ms, name="inh")
    cells = ns.NeuronGroup(3, ns.LIF(tau_m=10 * ms, v_rest=-70 * mV, v_reset=-75 * mV,
                                     v_th=-50 * mV), v=np.array([-60, -65, -55]) * mV,
                           name="cells")
    noise = ns.PoissonGroup(20, 500 * Hz)
    mons = dict(exc=ns.SpikeMonitor(exc), inh=ns.SpikeMonitor(inh),
                rate=ns.RateMonitor(noise), v=ns.StateMonitor(cells, "v", record=[0, 2]))
    ns.Network(exc, inh, cells, noise, *mons.values()).run(
        10 * ms, dt=DT * second, backend="numpy", seed=3)
    return mons


def test_plot_raster_stacks_several_monitors(recorded):
    ax = ns.plot_raster(recorded["exc"], recorded["inh"])
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "neuron index"
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3, 4], atol=1e-9)
    np.testing.assert_array_equal(lines[0].get_ydata(), [0, 3, 1, 3])
    np.testing.assert_allclose(lines[1].get_xdata(), [1.5, 5], atol=1e-9)
    np.testing.assert_array_equal(lines[1].get_ydata(), [4 + 1, 4 + 0])   # above the 4 exc
    assert ax.get_ylim() == (-0.5, 5.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["exc", "inh"]
    assert lines[0].get_color() != lines[1].get_color()


def test_plot_raster_labels_colors_and_time_unit(recorded):
    ax = ns.plot_raster(recorded["exc"], recorded["inh"], labels=["E", "I"],
                        colors=["red", "blue"], time_unit=second)
    assert ax.get_xlabel() == "time (s)"
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_xdata(), [1e-3, 2e-3, 3e-3, 4e-3], atol=1e-12)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["E", "I"]
    assert lines[0].get_color() == "red" and lines[1].get_color() == "blue"


def test_plot_raster_of_index_time_tuples_into_given_axes():
    fig, given = plt.subplots()
    ax = ns.plot_raster(([0, 2, 1], [0.001, 0.002, 0.004]), ([0], [0.003]), ax=given,
                        time_unit=us)
    assert ax is given
    assert ax.get_xlabel() == "time (us)"
    first, second_ = ax.get_lines()
    np.testing.assert_allclose(first.get_xdata(), [1000, 2000, 4000])
    np.testing.assert_array_equal(second_.get_ydata(), [3])            # offset by 3 rows


def test_plot_raster_refuses_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        ns.plot_raster()
    with pytest.raises(TypeError, match=r"monitors\[0\]=5 must be a SpikeMonitor"):
        ns.plot_raster(5)
    with pytest.raises(ValueError, match=r"time_unit=.* must be one of s, ms, us, ns"):
        ns.plot_raster(([0], [0.001]), time_unit=mV)
    with pytest.raises(ValueError, match=r"labels has 2 entries for 1 population\(s\)"):
        ns.plot_raster(([0], [0.001]), labels=["E", "I"])
    with pytest.raises(ValueError, match=r"colors has 1 entries for 2 population\(s\)"):
        ns.plot_raster(([0], [0.001]), ([0], [0.002]), colors=["k"])


def test_plot_rate_draws_rate_over_time(recorded):
    mon = recorded["rate"]
    ax = ns.plot_rate(mon)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "rate (Hz)"
    line, = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), np.arange(100) * 0.1, atol=1e-9)
    np.testing.assert_array_equal(line.get_ydata(), mon.rate)
    assert mon.rate.max() > 0


def test_plot_rate_smoothed(recorded):
    mon = recorded["rate"]
    line, = ns.plot_rate(mon, smooth=1 * ms).get_lines()
    np.testing.assert_allclose(line.get_ydata(), mon.smooth_rate(1 * ms))
    assert np.ptp(line.get_ydata()) < np.ptp(mon.rate)
    with pytest.raises(TypeError, match="must be a RateMonitor"):
        ns.plot_rate(recorded["exc"])
    with pytest.raises(ValueError, match=r"smooth=-1\. \* msecond must be > 0"):
        ns.plot_rate(mon, smooth=-1 * ms)


def test_plot_state_one_line_per_recorded_neuron(recorded):
    mon = recorded["v"]
    ax = ns.plot_state(mon, "v", unit=mV)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "v (mV)"
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, row in zip(lines, mon.v):
        np.testing.assert_allclose(line.get_xdata(), np.arange(100) * 0.1, atol=1e-9)
        np.testing.assert_allclose(line.get_ydata(), row * 1e3, rtol=1e-12)
    np.testing.assert_allclose(lines[1].get_ydata()[0], -55.0)


def test_plot_state_in_si_units(recorded):
    ax = ns.plot_state(recorded["v"], "v")
    assert ax.get_ylabel() == "v"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[0], -0.060)
    with pytest.raises(AttributeError, match="'u'"):
        ns.plot_state(recorded["v"], "u")
    with pytest.raises(TypeError, match="must be a StateMonitor"):
        ns.plot_state(recorded["rate"], "v")


@pytest.mark.parametrize("own_figure", [True, False])
@pytest.mark.parametrize("labels", [["E", "I"], ["excitatory (3200 cells)", "inhibitory (800)"]])
def test_plot_raster_legend_hides_no_spike(own_figure, labels):
    # spikes everywhere: every neuron at every millisecond, so the data fill the axes
    i = np.repeat(np.arange(40), 101)
    t = np.tile(np.arange(101) * 1e-3, 40)
    ax = ns.plot_raster((i, t), (i, t), labels=labels,
                        ax=None if own_figure else plt.subplots(figsize=(8, 4))[1])
    fig = ax.figure
    fig.canvas.draw()
    legend, data = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert not legend.overlaps(data), f"legend {legend} covers the data area {data}"
    if own_figure:     # narrowed to hold the legend: nothing cut off at the figure's edge
        assert legend.x1 <= fig.bbox.x1 and legend.y1 <= fig.bbox.y1
        assert data.width > 0.5 * fig.bbox.width
