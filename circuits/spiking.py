"""The spiking network of a circuit: its description turned into neurosim objects.

:meth:`SpikingNetwork.to_network` builds, with neurosim's public API only, either

* the McCulloch-Pitts circuit: a unit is active in a step when its summed input of
  the previous step reaches ``theta`` (or a population code of ``k`` copies with
  staggered thresholds that follows the rate twin's ``max(h - theta_twin, 0)``);
* the LIF circuit: ``v_th = 1 mV``, ``tau_m = 16 ms``, exponential current synapses
  of 2 ms with weights ``w`` in mV of mean drive, and a constant input that subtracts
  the threshold, so a neuron's mean-driven rate per step is close to
  ``max(h - theta_twin, 0)``.

The parameters of both (class attributes of :class:`SpikingNetwork`) are documented
with the measurements that chose them.
"""
import numpy as np

from .description import Description

__all__ = ["SpikingNetwork", "copy_offsets", "MODELS", "V_TH_MV"]

V_TH_MV = 1.0          # LIF threshold above rest, in mV; weights are in units of it
MODELS = ("mcculloch_pitts", "lif")


def copy_offsets(n, k, model="mcculloch_pitts", theta=0.0):
    """Threshold offsets (as input biases) of ``k`` copies of ``n`` units, unit-major.

    McCulloch-Pitts: copy ``m`` gets ``-(m + 1/2) / k`` (staggered thresholds, a
    population code of the unit's input). LIF: offsets spread evenly over
    ``theta`` (the unit's ``theta_twin``) around zero, ``((m + 1/2) / k - 1/2) *
    theta``, so that copies driven by the same input fire at different times.
    Zeros for ``k = 1``.
    """
    if k <= 1:
        return np.zeros(n)
    if model == "mcculloch_pitts":
        return -np.tile((np.arange(k) + 0.5) / k, n)
    return np.tile(((np.arange(k) + 0.5) / k - 0.5) * float(theta), n)


def _copy_synapses(p, ks, kt):
    """Synapses of projection ``p`` between units made of ``ks`` and ``kt`` copies.

    Every copy of a target unit receives from every copy of each source unit, with
    the weight divided by ``ks``: the copies of a unit all see the same summed
    input, the mean over the source's copies, whose step-to-step fluctuation is
    ``ks`` times smaller in variance than a single copy's. (Wiring copy ``m`` to
    copy ``m`` alone kept the full single-neuron noise in every copy; the
    thresholded units then respond to noise peaks, and selectivity is lost from
    area to area: on V0 objects, IT decoding 0.33 and CKA with the rate twin 0.22,
    against 0.77 and 0.77 with this wiring.)
    """
    a, m = np.meshgrid(np.arange(ks), np.arange(kt), indexing="ij")
    a, m = a.ravel(), m.ravel()
    return ((p.i[:, None] * ks + a).ravel(), (p.j[:, None] * kt + m).ravel(),
            np.repeat(p.w / ks, a.size))


class SpikingNetwork(Description):
    """A :class:`~circuits.description.Description` that builds its spiking network.

    Parameters
    ----------
    size, dt, input_meta
        As :class:`~circuits.description.Description`.
    """

    #: LIF membrane time constant (seconds), with the threshold made subtractive
    #: (:meth:`base_offsets`); None ties it to the threshold, ``dt / (2 theta_twin)``
    #: (see :meth:`to_network`). 16 ms: on V0 objects the CKA between the spiking LIF
    #: areas and the rate twin is V1 0.78, V2 0.84, V4 0.70, IT 0.70 (tied: 0.52,
    #: 0.49, 0.37, 0.54; 8 ms: 0.70, 0.79, 0.65, 0.67), IT decoding 0.63 (tied 0.53).
    lif_tau = 0.016
    #: LIF synaptic time constant (seconds): exponential current synapses, the same for
    #: excitation and inhibition so that aligned E and I still cancel; None gives delta
    #: synapses. A delta synapse moves ``v`` by its whole weight in one step, and many
    #: weights here exceed the 1 mV threshold (gates 2.8 mV, feedforward inhibition
    #: 1-1.7 mV): the neuron fires once and the reset to 0 discards the rest, so the
    #: rate saturates (at most one spike per input spike) instead of following the
    #: twin's ``h - theta``. Spread over 2 ms the same charge crosses threshold in
    #: small steps and is counted. On the protocol's 192 images (2 trials), CKA with the
    #: rate twin V1/V2/V4/IT: delta 0.71/0.71/0.49/0.52, 2 ms 0.93/0.96/0.90/0.87; on
    #: 72 images, 1 ms 0.91/0.94/0.89/0.84 (bursts), 4 ms 0.91/0.95/0.90/0.81 (IT
    #: reaches its steady rate ~20 ms later than the counting window starts).
    lif_tau_syn = 0.002
    #: What a LIF spike does to ``v`` (``neurosim.LIF``'s ``reset``). Set to
    #: ``v_reset``, the neuron loses the charge that carried it past threshold within
    #: the step, about half a step's input per spike, so its rate fell short of the
    #: twin's ``h - theta`` by a fraction growing with the rate (a unit driven to 0.8
    #: spikes per step fired 0.67 at the 0.5 ms step); subtraction keeps it. On the
    #: protocol's 192 images (2 trials, seed 0), CKA with the rate twin V1/V2/V4/IT:
    #: 0.951/0.931/0.855/0.774 before; synaptic weights scaled by the time-averaged
    #: current (``to_network``) 0.961/0.960/0.896/0.809; and reset by subtraction
    #: 0.978/0.991/0.979/0.916.
    lif_reset = "subtract"

    #: McCulloch-Pitts units made of copies in these areas threshold the mean of their
    #: input over the last ``mp_filter_steps`` steps (each synapse split into that many
    #: synapses of consecutive delays and ``1/steps`` of the weight, excitation and
    #: inhibition alike): a box low-pass filter, the discrete analogue of the LIF's
    #: synaptic time constant, which halves the step-to-step variance of the summed
    #: binary input, so that the copies' mean follows ``h - theta_twin`` rather than a
    #: noise-smoothed version of it. On the protocol's 192 images (2 trials), CKA with
    #: the rate twin V1/V2/V4/IT: no filter 0.78/0.85/0.76/0.70; 2 steps in V1 and V2
    #: 0.83/0.93/0.87/0.84 (+24 % CPU of a presentation); 2 steps in every area
    #: 0.83/0.93/0.82/0.76 (the filtered deep E/I stages ring; +48 % CPU); 3 steps in
    #: V1 and V2 0.86/0.93/0.86/0.81 (+75 % CPU).
    mp_filter_steps = 2
    mp_filter_areas = ("v1", "v2")
    #: McCulloch-Pitts: synapses from populations whose names start with a key are
    #: averaged over that many steps, whatever the target. A V1 simple cell gets its
    #: push-pull inhibition from one binary interneuron whose spike (weight 1.4-1.7,
    #: 3-4 times the simple cell's threshold) vetoes any excitation in that step and
    #: whose silence lets everything through; so the simple cells fired 2.4 times the
    #: twin's rate (fine scale) and the complex cells summed that noise-driven firing.
    #: Spread over 3 steps, the inhibition is graded. On the protocol's 192 images (2
    #: trials, with the V1/V2 filter above), CKA with the rate twin V1/V2/V4/IT: no
    #: push-pull filter 0.83/0.93/0.87/0.84; 2 steps 0.90/0.95/0.87/0.82; 3 steps
    #: 0.92/0.95/0.87/0.82; 4 steps 0.93/0.95/0.87/0.81. Filtering every input of the
    #: simple cells (2 steps) did no better than the push-pull input alone (72 images:
    #: complex cells 0.84/0.93 vs 0.81/0.92) and doubles the retina's synapses.
    mp_filter_sources = {"v1_pushpull": 3}

    def filter_steps(self, source, target, model="mcculloch_pitts", k=1):
        """Steps over which a projection ``source -> target`` is averaged: 1 except in
        the McCulloch-Pitts circuit, from :attr:`mp_filter_sources`, or into units made
        of ``k > 1`` copies in :attr:`mp_filter_areas` (:attr:`mp_filter_steps`)."""
        if model != "mcculloch_pitts":
            return 1
        for prefix, steps in self.mp_filter_sources.items():
            if source.startswith(prefix):
                return int(steps)
        if k > 1 and self.populations[target].area in self.mp_filter_areas:
            return int(self.mp_filter_steps)
        return 1

    def lif_tau_m(self, name):
        """Membrane time constant (seconds) of the LIF neurons of ``name``."""
        if self.lif_tau:
            return float(self.lif_tau)
        return self.dt / (2 * max(self.populations[name].theta_twin, 0.05))

    def base_offsets(self, name, k=1, model="mcculloch_pitts"):
        """Constant input of each neuron of ``name`` before any homeostatic bias (in
        units of the weights; mV for LIF): the copies' threshold offsets and, for LIF
        neurons with a fixed ``lif_tau``, the subtractive threshold.

        With ``tau_m`` fixed, a LIF neuron driven by ``h`` per step loses about
        ``dt / (2 tau_m)`` per step to the leak on its way to threshold, so it fires
        about ``h - dt / (2 tau_m)`` spikes per step; a constant input of
        ``-(theta_twin - dt / (2 tau_m)) tau_m / dt`` mV (its steady-state shift of
        the membrane potential) makes that ``h - theta_twin``, the rate twin's unit,
        and the neuron integrates its input over ``tau_m`` instead of a step or two.
        """
        pop = self.populations[name]
        off = copy_offsets(pop.n, k, model, pop.theta_twin)
        if model == "lif" and self.lif_tau:
            tau = float(self.lif_tau)
            off = off - (pop.theta_twin - 0.5 * self.dt / tau) * tau / self.dt
        return off

    def to_network(self, model="mcculloch_pitts", dt=None, coding="rate", latency=None,
                   names=None, bias=None, copies=None, align=True):
        """neurosim objects for the circuit (public API only).

        Parameters
        ----------
        model : {'mcculloch_pitts', 'lif'}
        dt : float, optional
            Simulation step in seconds. McCulloch-Pitts units update once per
            ``self.dt`` (the step in which activities are counted), so their
            ``dt`` must equal it; LIF neurons may use a finer step (default
            ``self.dt / 2``).
        coding : {'rate', 'latency'}
            Input as a ``PoissonGroup`` (rates set later, zero at first) or as a
            ``SpikeGeneratorGroup`` built from ``latency = (indices, times)``.
        names : sequence of str, optional
            Populations to include (default all); projections between them only.
        bias : dict of str to float, optional
            A constant input added to each population's summed input (in units of
            the weights), through a ``neurosim.CurrentInput`` that can be changed
            between runs (homeostasis, :meth:`Pathway.homeostasis`).
        copies : dict of str to int, optional
            McCulloch-Pitts only: populations whose units are each made of ``k``
            binary neurons (see Notes).
        align : bool, optional
            Delay projections so that every feedforward path into a population
            takes as many steps as the longest (:meth:`delays`); False: no delays.

        Returns
        -------
        groups : dict of str to neurosim group
            The input group under ``"input"``.
        objects : list
            Everything for ``neurosim.Network`` (groups, synapses, currents,
            monitors).
        monitors : dict of str to ``neurosim.SpikeMonitor``
        currents : dict of str to ``neurosim.CurrentInput``
            One per population; its amplitude is the bias plus, for units made of
            copies, each copy's threshold offset.

        Notes
        -----
        McCulloch-Pitts units: a unit fires in a step when its summed input of the
        previous step reaches ``theta``. A unit made of ``k`` copies is ``k``
        binary neurons (neuron ``u * k + m`` is copy ``m`` of unit ``u``) with
        thresholds ``theta_twin + (m + 1/2) / k``; every copy receives from every
        copy of each source unit (weight divided by ``k_source``), so the fraction
        of a unit's copies that fire is ``min(max(h - theta_twin, 0), 1)`` to a resolution of
        ``1/k``: the rate twin's unit, clipped at one spike per step (a
        population code with staggered thresholds). In the areas of
        :attr:`mp_filter_areas` such units see the mean input of the last
        :attr:`mp_filter_steps` steps, and V1 simple cells their push-pull
        inhibition averaged over 3 steps (:meth:`filter_steps`).

        LIF neurons: ``v_rest = v_reset = 0``, ``v_th = 1 mV``, reset by subtraction
        (:attr:`lif_reset`), exponential current synapses of ``lif_tau_syn`` (2 ms), a
        weight ``w`` of the description a current jump of ``w tau_m / tau_syn`` mV,
        which moves ``v`` as much on average as a delta synapse of ``w`` mV; with
        ``lif_tau_syn = None``, delta synapses of ``w * exp(dt / tau_m)`` mV (the
        jump that is still ``w`` after the decay of one step, when the threshold is
        checked). By default (``lif_tau`` = 16 ms) every neuron has
        ``tau_m = lif_tau`` and a constant input that subtracts its threshold
        (:meth:`base_offsets`): driven by a mean input ``h`` it fires about
        ``h - theta_twin`` spikes per step once ``h`` exceeds ``theta_twin +
        dt / (2 tau_m)``, the rate twin's unit, and it averages its input over
        ``tau_m``. With ``lif_tau = None``, ``tau_m = self.dt / (2 max(theta_twin,
        0.05))`` and no offset: the neuron fires about ``h - theta_twin`` spikes per
        step once ``h`` exceeds ``2 theta_twin`` (the rate of a LIF neuron well
        above threshold is ``(v_inf - v_th / 2) / tau_m``), but it integrates over
        only a few steps and fires on the input's fluctuations.
        """
        import neurosim as ns
        from neurosim.units import Hz, mV, second
        if model not in MODELS:
            raise ValueError(f"model={model!r} must be one of {MODELS}")
        if dt is None:
            dt = self.dt if model == "mcculloch_pitts" else self.dt / 2
        if model == "mcculloch_pitts" and abs(dt - self.dt) > 1e-12:
            raise ValueError(f"dt={dt!r}: McCulloch-Pitts circuits run with dt={self.dt} s, "
                             "the step their activities are counted in")
        names = list(self.populations) if names is None else list(names)
        copies = {n: int((copies or {}).get(n, 1)) for n in names}
        copies["input"] = 1
        bias = bias or {}
        groups, objects, monitors = {}, [], {}
        n_in = self.populations["input"].n
        if coding == "rate":
            groups["input"] = ns.PoissonGroup(n_in, np.zeros(n_in) * Hz, name="input")
        elif coding == "latency":
            idx, t = latency
            groups["input"] = ns.SpikeGeneratorGroup(n_in, np.asarray(idx, np.int64),
                                                     np.asarray(t, float) * second,
                                                     name="input")
        else:
            raise ValueError(f"coding={coding!r} must be 'rate' or 'latency'")
        objects.append(groups["input"])
        scale, offsets = {}, {}
        for name in names[1:]:
            pop, k = self.populations[name], copies[name]
            if model == "mcculloch_pitts":
                if k > 1:
                    neuron = ns.McCullochPitts(theta=pop.theta_twin)
                    offsets[name] = copy_offsets(pop.n, k)
                else:
                    neuron = ns.McCullochPitts(theta=max(pop.theta, 1e-9))
                    offsets[name] = np.zeros(pop.n)
                scale[name] = 1.0
            else:
                tau = self.lif_tau_m(name)
                ts = self.lif_tau_syn
                neuron = ns.LIF(tau_m=tau * second, v_rest=0 * mV, v_reset=0 * mV,
                                v_th=V_TH_MV * mV, reset=self.lif_reset,
                                **({} if not ts else dict(tau_syn_e=ts * second,
                                                          tau_syn_i=ts * second)))
                if ts:
                    # the mean drive of a delta synapse of w: a current jump J decaying
                    # over ts moves v by J ts per spike on average, as w tau_m does
                    scale[name] = V_TH_MV * tau / ts * mV
                else:
                    scale[name] = V_TH_MV * np.exp(dt / tau) * (1 + 1e-6) * mV
                offsets[name] = self.base_offsets(name, k, model)
            groups[name] = ns.NeuronGroup(pop.n * k, neuron, name=name)
            objects.append(groups[name])
        steps = self.delays(names) if align else [0] * len(self.projections)
        for p, d in zip(self.projections, steps):
            if p.source in groups and p.target in groups and p.i.size:
                pre, post, w = _copy_synapses(p, copies[p.source], copies[p.target])
                taps = self.filter_steps(p.source, p.target, model, copies[p.target])
                for e in range(taps):
                    objects.append(ns.Synapses(
                        groups[p.source], groups[p.target], kind=p.kind,
                        weight=w * scale[p.target] / taps, connect=(pre, post),
                        delay=(d + e) * dt * second, name=p.name + (f"@{e}" if e else "")))
        currents = {}
        for name in names[1:]:
            unit = 1.0 if model == "mcculloch_pitts" else V_TH_MV * mV
            amp = offsets[name] + bias.get(name, 0.0)
            currents[name] = ns.CurrentInput(groups[name], amp * unit)
            objects.append(currents[name])
        for name, g in groups.items():
            monitors[name] = ns.SpikeMonitor(g)
            objects.append(monitors[name])
        return groups, objects, monitors, currents
