"""Current sources: ``DCSource``, ``StepCurrentSource``, ``ACSource`` and ``NoisyCurrentSource``.

Each neuron population gets one :class:`neurosim.CurrentInput` that carries its
``i_offset`` plus every ``DCSource`` and ``StepCurrentSource`` injected into it; the run
is cut at the steps where such a source switches, and the amplitudes are set between
the pieces (``docs/user/pynn.rst``). ``ACSource`` and ``NoisyCurrentSource`` change in
every step (or every ``dt`` of the noise): each becomes a :class:`neurosim.TimedCurrent`
whose table holds its value at every step (``timed_currents`` of
:mod:`neurosim.pynn._network`). A source switched on at ``start`` acts on the update
from ``start`` to ``start + dt``, so the membrane potential recorded at ``start`` is
still unaffected.
"""
import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, build_translations, electrodes

from ..simulator import state

__all__ = ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"]


class _CurrentSource(StandardCurrentSource):
    """A source of current: its parameters and the cells it is injected into."""

    # False: piecewise constant, set between pieces of the run (``changes``); True: a
    # value per step, injected through a table (``samples``)
    streamed = False

    def __init__(self, **parameters):
        object.__setattr__(self, "_values", {})
        super().__init__(**parameters)
        self.targets = []           # (population, indices within it)
        self._recording = False
        state.current_sources.append(self)
        ps = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        ps.update(**parameters)
        self.set_native_parameters(self.translate(ps))

    def get_native_parameters(self):
        return ParameterSpace(dict(self._values))

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        for name, value in parameters.items():
            self._values[name] = value.value if isinstance(value, Sequence) else value
        self._check()

    def _check(self):
        pass

    def inject_into(self, cells):
        from ..populations import targets_of
        for pop, idx in targets_of(cells):
            if not pop.celltype.injectable:
                raise TypeError(f"can't inject current into a spike source ({pop.label})")
            self.targets.append((pop, np.asarray(idx, dtype=np.int64)))

    def changes(self, dt):
        """``(steps, amplitudes)``: from ``steps[k]`` on the source gives ``amplitudes[k]``
        nA (0 before the first)."""
        raise NotImplementedError

    def amplitude_at(self, step, dt):
        steps, amps = self.changes(dt)
        k = np.searchsorted(steps, step, side="right") - 1
        return 0.0 if k < 0 else float(amps[k])

    # recording of the injected current
    def record(self):
        self._recording = True

    def _get_data(self):
        dt = state.dt
        n = state.t_step + 1
        steps, amps = self.changes(dt)
        k = np.searchsorted(steps, np.arange(n), side="right") - 1
        values = np.where(k < 0, 0.0, np.asarray(amps, float)[np.maximum(k, 0)])
        return np.arange(n) * dt, values


def _step(t, dt):
    return int(np.rint(np.asarray(t, dtype=float) / dt)) if np.ndim(t) == 0 else \
        np.rint(np.asarray(t, dtype=float) / dt).astype(np.int64)


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))

    def changes(self, dt):
        v = self._values
        start, stop = _step(v["start"], dt), _step(min(v["stop"], 1e15), dt)
        if stop <= start:
            return np.array([start]), np.array([0.0])
        return np.array([start, stop]), np.array([float(v["amplitude"]), 0.0])


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _check(self):
        """Times must be >= 0 and increasing; they are put on the step grid, and of
        several changes in one step the last holds (as PyNN's other backends do)."""
        if "times" not in self._values or "amplitudes" not in self._values:
            return
        times = np.asarray(self._values["times"], dtype=float)
        amps = np.asarray(self._values["amplitudes"], dtype=float)
        if times.shape != amps.shape:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource has {times.size} times and {amps.size} amplitudes")
        if np.any(times < 0):
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource times must be >= 0: {times}")
        if np.any(np.diff(times) <= 0):
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource times must increase: {times}")
        steps = _step(times, state.dt) if times.size else np.zeros(0, np.int64)
        last = np.append(steps[1:] != steps[:-1], True) if steps.size else steps.astype(bool)
        self._values["times"] = steps[last] * state.dt
        self._values["amplitudes"] = amps[last]

    def changes(self, dt):
        times = np.asarray(self._values["times"], dtype=float)
        amps = np.asarray(self._values["amplitudes"], dtype=float)
        return (_step(times, dt) if times.size else np.zeros(0, np.int64)), amps


class _StreamedSource(_CurrentSource):
    """A source whose current changes in every step (or every ``dt`` of the noise): the
    engine injects it through a table of its values (``_network.timed_currents``), so a
    change of its parameters or targets makes the next run rebuild that table."""

    streamed = True

    def set_native_parameters(self, parameters):
        # what was injected so far is kept for the recording, before the change
        past = self.__dict__.get("_past", np.zeros(0))[:state.t_step]
        if self._values and past.size < state.t_step:
            past = np.concatenate([past, self.samples(past.size, state.t_step, state.dt)])
        object.__setattr__(self, "_past", past)
        super().set_native_parameters(parameters)
        state.mark_stale()

    def inject_into(self, cells):
        super().inject_into(cells)
        state.mark_stale()

    def window(self, dt):
        """``(first, stop)``: the source acts on the steps ``first <= s < stop``."""
        v = self._values
        return _step(v["start"], dt), _step(min(float(v["stop"]), 1e15), dt)

    def samples(self, lo, hi, dt):
        """The current (nA) of the steps ``lo <= s < hi``, 0 outside the window."""
        steps = np.arange(lo, hi, dtype=np.int64)
        first, stop = self.window(dt)
        on = (steps >= first) & (steps < stop)
        out = np.zeros(steps.size)
        if on.any():
            out[on] = self._values_at(steps[on], first, dt)
        return out

    def _values_at(self, steps, first, dt):
        raise NotImplementedError

    def _get_data(self):
        dt = state.dt
        n = state.t_step + 1
        past = self.__dict__.get("_past", np.zeros(0))[:n]
        return np.arange(n) * dt, np.concatenate([past, self.samples(past.size, n, dt)])


class ACSource(_StreamedSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"), ("frequency", "frequency"),
                                      ("offset", "offset"), ("phase", "phase"))

    def _values_at(self, steps, first, dt):
        # as pyNN.brian2 (and pyNN.nest, which corrects NEST's phase to match): the phase
        # holds at ``start``, the sine sampled at the start of each step
        v = self._values
        t = steps * dt - float(v["start"])                         # ms since start
        angle = 2 * np.pi * float(v["frequency"]) * t * 1e-3 + np.deg2rad(float(v["phase"]))
        return float(v["offset"]) + float(v["amplitude"]) * np.sin(angle)


class NoisyCurrentSource(_StreamedSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(("mean", "mean"), ("start", "start"), ("stop", "stop"),
                                      ("stdev", "stdev"), ("dt", "dt"))

    def __init__(self, **parameters):
        # the draws: a generator of its own per source, keyed by the simulation's seed
        # and the source's place among the sources, so a script gives the same noise
        # at every run (and after a rebuild or reset)
        object.__setattr__(self, "_key", [state.seed, len(state.current_sources)])
        object.__setattr__(self, "_normal", np.zeros(0))
        object.__setattr__(self, "_rng", None)
        super().__init__(**parameters)

    def _check(self):
        """``dt`` must be a whole number (>= 1) of simulation steps."""
        if "dt" not in self._values:
            return
        ratio = float(self._values["dt"]) / state.dt
        if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-6:
            raise errors.InvalidParameterValueError(
                f"NoisyCurrentSource dt={float(self._values['dt']):g} ms must be a whole "
                f"multiple of the simulation time step ({state.dt:g} ms)")

    def _draws(self, n):
        """The first ``n`` standard normal draws of this source."""
        if self._normal.size < n:
            if self._rng is None:
                object.__setattr__(self, "_rng", np.random.default_rng(self._key))
            more = self._rng.standard_normal(n - self._normal.size)
            object.__setattr__(self, "_normal", np.concatenate([self._normal, more]))
        return self._normal[:n]

    def _values_at(self, steps, first, dt):
        # NEST's noise_generator, pyNN.brian2 and pyNN.neuron: a new value
        # mean + stdev * N(0, 1) at ``start`` and every ``dt`` after it, stdev not scaled
        # with dt; as pyNN.brian2 and pyNN.neuron, all targets of a source get the same
        # current (NEST draws one per target)
        ratio = int(round(float(self._values["dt"]) / dt))
        k = (steps - first) // ratio
        z = self._draws(int(k.max()) + 1)
        return float(self._values["mean"]) + float(self._values["stdev"]) * z[k]
