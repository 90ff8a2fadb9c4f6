"""The same network in Brian2, for peer validation (docs/validation.md).

:func:`to_brian2` turns a built neurosim :class:`~neurosim.Network` into a
Brian2 network that integrates the same equations with Brian2's own code
generation, from the same initial state, through the same synapses, with the
same realised random input; :func:`run_brian2` runs it and hands back its
recordings in neurosim's format. Where the two simulators then disagree, either
one has a bug or floating-point rounding has been amplified by chaos;
:mod:`neurosim.interop.validation` tells the two apart.

What each neurosim object becomes
---------------------------------
The translation is written, and documented object by object, in these modules:

``neurosim.interop._brian2_models``
    ``LIF`` (exponential or delta synapses), ``LIFCond`` and
    ``McCullochPitts``: their Brian2 equations, thresholds, resets and the
    ``on_pre`` code of the synapses onto them. Model parameters are shared
    constants of each Brian2 group, so that Brian2's symbolic derivation of the
    ``'exact'`` update is done once per process.
``neurosim.interop._brian2_export``
    :class:`Brian2Export`: neuron groups, ``SpikeGeneratorGroup``,
    ``CurrentInput`` / ``TimedCurrent``, ``Synapses`` and monitors, the
    schedule (Brian2's default, the order of neurosim's step), the clock and
    the code-generation target.
``neurosim.interop._brian2_random``
    ``PoissonGroup``, ``PoissonInput`` and asynchronous McCulloch-Pitts
    updates: neurosim's counter-based draws replayed for the network's seed,
    or with ``poisson='brian2'`` Brian2's own ``PoissonGroup`` and
    ``PoissonInput`` with Brian2's random numbers, for statistical comparisons.
``neurosim.interop._brian2_recordings``
    :class:`SpikeRecording`, :class:`StateRecording` and
    :class:`RateRecording`, the results of the Brian2 monitors.

What cannot be exported exactly raises :class:`Brian2ExportError` (a
``ValueError``) that says what and why: a ``LIF`` with ``tau_syn_e`` or
``tau_syn_i`` equal to ``tau_m``, a network that has already run, a standalone
Brian2 device, or a float32 Brian2.

Examples
--------
>>> import neurosim as ns
>>> from neurosim.units import ms, mV
>>> from neurosim.interop.brian2 import run_brian2
>>> cell = ns.NeuronGroup(1, ns.LIF(20*ms, -70*mV, -70*mV, -50*mV, refractory=2*ms))
>>> drive = ns.CurrentInput(cell, 30*mV)
>>> spikes = ns.SpikeMonitor(cell)
>>> net = ns.Network(cell, drive, spikes)
>>> rec = run_brian2(net, 100*ms, dt=0.1*ms, seed=1)
>>> net.run(100*ms, backend="numpy")
>>> bool((rec[spikes].steps == spikes.steps).all())
True
"""
from .._validation import check_positive
from ..network import Network
from ..units import second
from ._brian2_export import POISSON_MODES, SCHEDULE, TARGETS, Brian2Export
from ._brian2_models import Brian2ExportError
from ._brian2_recordings import RateRecording, SpikeRecording, StateRecording

__all__ = ["to_brian2", "run_brian2", "Brian2Export", "Brian2ExportError", "SpikeRecording",
           "StateRecording", "RateRecording", "SCHEDULE", "TARGETS", "POISSON_MODES"]


def to_brian2(network, *, dt=None, seed=None, target="numpy", poisson="realised",
              brian2_seed=None):
    """Build the Brian2 network equivalent to a neurosim network.

    Parameters
    ----------
    network : neurosim.Network
        Built (``network.build(dt, seed)``) or not yet built, in which case it is
        built here with ``dt`` and ``seed``. It must not have run: Brian2 starts
        from the initial state.
    dt : Quantity, optional
        Time step used to build an unbuilt network (default 0.1 ms); must match
        a built network's step.
    seed : int, optional
        Seed used to build an unbuilt network; must match a built one's.
    target : {'numpy', 'cython'}
        Brian2 code-generation target. ``'cython'`` runs faster once compiled,
        but compiling costs minutes the first time (Brian2 caches the result).
    poisson : {'realised', 'brian2'}
        ``'realised'`` (default): Poisson groups and drives replay the draws of
        neurosim's counter-based generator for the network's seed, so both
        simulators see the same input and can agree spike for spike.
        ``'brian2'``: Brian2's own ``PoissonGroup`` and ``PoissonInput`` (a
        binomial count per step, which for ``rate*dt << 1`` is the Poisson
        count neurosim draws) with Brian2's random numbers; for statistical
        comparisons with independent noise. Asynchronous McCulloch-Pitts update
        decisions are replayed in both modes.
    brian2_seed : int, optional
        Passed to ``brian2.seed`` before the first run (it seeds numpy's global
        generator too), for reproducible ``poisson='brian2'`` runs.

    Returns
    -------
    Brian2Export
        Call ``.run(duration)`` then ``.recordings()``.

    Raises
    ------
    Brian2ExportError
        When part of the network has no exact Brian2 counterpart, or the network
        has already run.

    Examples
    --------
    A McCulloch-Pitts gate driven by two spikes, in Brian2 and in neurosim:

    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import to_brian2
    >>> stim = ns.SpikeGeneratorGroup(1, [0, 0], [1, 3]*ms)
    >>> gate = ns.NeuronGroup(1, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, gate, kind="excitatory", weight=1, connect=ns.AllToAll())
    >>> spikes = ns.SpikeMonitor(gate)
    >>> net = ns.Network(stim, gate, syn, spikes)
    >>> export = to_brian2(net, dt=1*ms, seed=0)
    >>> export.run(6*ms)
    >>> net.run(6*ms)
    >>> export.recording(spikes).steps, spikes.steps
    (array([2, 4]), array([2, 4]))
    """
    if not isinstance(network, Network):
        raise TypeError(f"network={network!r} must be a neurosim Network")
    if network._arrays is None:
        network.build(0.1e-3 * second if dt is None else dt, seed)
    else:
        if dt is not None and abs(check_positive("dt", dt, second) - network.dt) > \
                1e-12 * network.dt:
            raise ValueError(f"dt={dt!r} differs from dt={network.dt * 1e3:g} ms the network "
                             "was built with")
        if seed is not None and seed != network.seed:
            raise ValueError(f"seed={seed!r} differs from seed={network.seed} the network was "
                             "built with")
    if network.t_step != 0:
        raise Brian2ExportError(
            f"the network has already run for {network.t * 1e3:g} ms; to_brian2 exports the "
            "initial state, and neurosim does not expose refractory counters or spikes in "
            "transit. Export before net.run(), or build the same network again")
    return Brian2Export(network, target=target, poisson=poisson, brian2_seed=brian2_seed)


def run_brian2(network, duration, *, dt=None, seed=None, target="numpy", poisson="realised",
               brian2_seed=None):
    """Export ``network`` to Brian2, run it for ``duration`` and return its recordings.

    Parameters
    ----------
    network : neurosim.Network
        The network to export, as for :func:`to_brian2`.
    duration : Quantity
        Simulated time, a whole number of steps.
    dt, seed, target, poisson, brian2_seed : optional
        As for :func:`to_brian2`.

    Returns
    -------
    dict
        ``{monitor: recording}`` for every monitor of ``network``:
        a ``SpikeRecording`` (``i`` int32, ``t`` seconds, ``steps``,
        ``count``), a ``StateRecording`` (``t`` and one array per variable)
        or a ``RateRecording`` (``t``, ``rate`` in Hz).

    Examples
    --------
    >>> import neurosim as ns
    >>> from neurosim.units import ms
    >>> from neurosim.interop.brian2 import run_brian2
    >>> stim = ns.SpikeGeneratorGroup(2, [0, 1], [1, 2]*ms)
    >>> cells = ns.NeuronGroup(2, ns.McCullochPitts(theta=1))
    >>> syn = ns.Synapses(stim, cells, kind="excitatory", weight=1, connect=ns.OneToOne())
    >>> spikes = ns.SpikeMonitor(cells)
    >>> net = ns.Network(stim, cells, syn, spikes)
    >>> rec = run_brian2(net, 5*ms, dt=1*ms, seed=0)
    >>> rec[spikes].i, rec[spikes].t * 1e3
    (array([0, 1], dtype=int32), array([2., 3.]))
    """
    export = to_brian2(network, dt=dt, seed=seed, target=target, poisson=poisson,
                       brian2_seed=brian2_seed)
    export.run(duration)
    return export.recordings()
