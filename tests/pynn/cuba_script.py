"""One PyNN script, a CUBA-like network of IF_curr_exp (or IF_curr_alpha) neurons, for
any PyNN backend.

The connections (FromListConnector) and the input spikes (SpikeSourceArray) are drawn
here with numpy from a fixed seed, so every backend simulates the same network.
"""
import numpy as np


def cuba(sim, n_exc=80, n_inh=20, n_in=20, t_stop=200.0, seed=3, celltype="IF_curr_exp",
         tau_syn_I=10.0, **setup):
    rng = np.random.default_rng(seed)
    dt = 0.1
    sim.setup(timestep=dt, min_delay=dt, **setup)
    params = dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                  tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=tau_syn_I, i_offset=0.0)
    n = n_exc + n_inh
    cells = sim.Population(n, getattr(sim, celltype)(**params), label="cells")
    cells.initialize(v=rng.uniform(-60.0, -50.0, n).round(3))
    times = [np.unique(np.round(rng.uniform(1.0, t_stop - 1.0, 10), 1)) for _ in range(n_in)]
    stim = sim.Population(n_in, sim.SpikeSourceArray(spike_times=times), label="stim")
    exc, inh = cells[:n_exc], cells[n_exc:]

    def pairs(n_pre, n_post, p, w):
        m = rng.random((n_pre, n_post)) < p
        i, j = np.nonzero(m)
        d = np.round(rng.uniform(0.1, 2.0, i.size), 1)
        return [(int(a), int(b), w, float(c)) for a, b, c in zip(i, j, d)]

    # weights in nA: 1.62 mV and 9 mV of the CUBA model times c_m / tau_m (0.01 uS)
    sim.Projection(exc, cells, sim.FromListConnector(pairs(n_exc, n, 0.1, 0.0162),
                                                     column_names=["weight", "delay"]),
                   sim.StaticSynapse(), receptor_type="excitatory")
    sim.Projection(inh, cells, sim.FromListConnector(pairs(n_inh, n, 0.1, -0.09),
                                                     column_names=["weight", "delay"]),
                   sim.StaticSynapse(), receptor_type="inhibitory")
    sim.Projection(stim, cells, sim.FromListConnector(pairs(n_in, n, 0.3, 0.1),
                                                      column_names=["weight", "delay"]),
                   sim.StaticSynapse(), receptor_type="excitatory")
    cells.record(["spikes", "v"])
    sim.run(t_stop)
    block = cells.get_data()
    sim.end()
    seg = block.segments[0]
    spikes = [(k, float(t)) for k, st in enumerate(seg.spiketrains) for t in st.magnitude]
    v = np.asarray(seg.filter(name="v")[0].magnitude)
    return sorted(spikes, key=lambda s: (s[1], s[0])), v
