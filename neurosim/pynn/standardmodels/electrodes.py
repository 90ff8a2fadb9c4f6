"""Current sources: ``DCSource`` and ``StepCurrentSource``.

Each neuron population gets one :class:`neurosim.CurrentInput` that carries its
``i_offset`` plus every source injected into it; the run is cut at the steps where a
source switches, and the amplitudes are set between the pieces (``docs/user/pynn.rst``).
A source switched on at ``start`` acts on the update from ``start`` to ``start + dt``,
so the membrane potential recorded at ``start`` is still unaffected.
"""
import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, build_translations, electrodes

from ..simulator import state

__all__ = ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"]


class _CurrentSource(StandardCurrentSource):
    """A source of current: its parameters and the cells it is injected into."""

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


def _not_available(base, why):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{base.__name__} is not available in neurosim.pynn: {why}. Available current "
            "sources: DCSource, StepCurrentSource")

    return type(base.__name__, (base,), {"__init__": __init__, "__doc__": base.__doc__,
                                         "translations": {}})


ACSource = _not_available(electrodes.ACSource,
                          "neurosim's injected currents change at chosen steps only (a sine "
                          "would change in every step)")
NoisyCurrentSource = _not_available(electrodes.NoisyCurrentSource,
                                    "neurosim has no noisy current input")
