"""A small STDP network as a PyNN script, for any PyNN backend (``test_stdp.py``).

SpikeSourceArray inputs drive three IF_curr_exp neurons through plastic synapses
(STDPMechanism, SpikePairRule, additive weights in [0, w_max], axonal delays) made by a
FromListConnector with drawn weights and delays; a static input (``kick`` nA) makes
the neurons fire so that the rule sees pairs in both orders.
"""
import numpy as np

W_MAX = 0.6                                      # nA
TAU_PLUS, TAU_MINUS, A_PLUS, A_MINUS = 16.8, 33.7, 0.05, 0.03


def stdp_network(sim, duration=300.0, n_in=10, w_high=0.5, kick=3.0, i_offset=0.6,
                 tau_refrac=2.0, a_minus=A_MINUS, delay=None,
                 **setup):
    """Run the network; returns (weights before, weights after, in the order of the
    (pre, post) pairs; spikes as sorted (cell, time); input spike times; the
    connections (pre, post, weight, delay)). ``delay`` (ms): one delay for every plastic
    connection instead of drawn ones."""
    rng = np.random.default_rng(7)
    sim.setup(timestep=0.1, min_delay=0.1, **setup)
    n_out = 3
    times = [np.unique(np.round(np.sort(rng.uniform(1.0, duration - 20, 12)), 1)).tolist()
             for _ in range(n_in)]
    inputs = sim.Population(n_in, sim.SpikeSourceArray(spike_times=times))
    kick_times = np.round(np.arange(15.0, duration - 10, 23.7), 1).tolist()
    kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=kick_times))
    cells = sim.Population(n_out, sim.IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-65.0,
                                                  v_reset=-65.0, v_thresh=-50.0,
                                                  tau_refrac=tau_refrac, tau_syn_E=5.0,
                                                  tau_syn_I=5.0, i_offset=i_offset))
    sim.Projection(kicks, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=kick, delay=0.5))
    pairs = [(i, j, float(rng.uniform(0.1, w_high)), float(np.round(rng.uniform(0.1, 3.0), 1)))
             for i in range(n_in) for j in range(n_out)]
    if delay is not None:
        pairs = [(i, j, w, delay) for i, j, w, _ in pairs]
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS,
                                            A_plus=A_PLUS, A_minus=a_minus),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX),
        dendritic_delay_fraction=0.0)
    prj = sim.Projection(inputs, cells, sim.FromListConnector(pairs,
                                                              column_names=["weight", "delay"]),
                         stdp, receptor_type="excitatory")
    cells.record("spikes")
    w0 = _by_pair(prj)
    sim.run(duration)
    w1 = _by_pair(prj)
    trains = cells.get_data().segments[0].spiketrains
    spikes = sorted((int(st.annotations["source_index"]), float(t))
                    for st in trains for t in st.magnitude)
    sim.end()
    return w0, w1, spikes, times, sorted(pairs)


def _by_pair(prj):
    """The weights in the order of (pre, post) index pairs (one connection per pair)."""
    rows = sorted(prj.get("weight", format="list"))
    return np.array([w for _, _, w in rows])
