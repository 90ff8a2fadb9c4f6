"""A state that becomes NaN or infinite stops the run, naming the group, neuron,
variable and step; the network goes back to its last whole chunk."""
import numpy as np
import pytest

import neurosim as ns
from neurosim.units import ms, volt


def _growing(v, ge, gi, ref, i_ext, p, seed, step, k):
    # v doubles every step from its start: 2**1024 overflows to inf
    return v * p.growth, ge, gi, ref, False


class Growing(ns.NeuronModel):
    """v grows geometrically: becomes infinite at a step known in advance."""
    parameters = ("growth",)
    scalar_update = staticmethod(_growing)
    state_variables = {"v": ("v", volt, 1.0)}
    weight_unit = current_unit = volt

    def parameter_values(self, dt):
        return {"growth": 2.0}


def _network():
    quiet = ns.NeuronGroup(3, ns.LIF(10 * ms, 0 * volt, 0 * volt, 1 * volt), name="quiet")
    cells = ns.NeuronGroup(5, Growing(), v=np.array([1.0, 1.0, 4.0, 1.0, 1.0]) * volt,
                           name="cells")
    return ns.Network(quiet, cells), cells


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_an_infinite_state_names_group_neuron_variable_and_step(backend):
    net, cells = _network()
    net.run(100 * ms, dt=1 * ms, seed=1, backend=backend)    # 100 doublings: still finite
    v = cells.v.copy()
    # neuron 2 started at 4 = 2**2: 2**1024 (inf) after 1022 steps, i.e. in step 1021
    with pytest.raises(ns.NonFiniteStateError,
                       match=r"'v' of group 'cells' became inf in step 1021 \(t = 1021 ms\), "
                             r"neuron 2 of the group \(index 5 of the network\)"):
        net.run(2000 * ms, chunk_steps=300)
    # back at the end of the last whole chunk before it: 100 + 3 x 300 steps
    assert net.t_step == 1000
    assert np.array_equal(cells.v, v * 2.0 ** 900)
    # the oracle: the same network with the check off, one step at a time
    with ns.config_context(check_finite=False):
        net.run(21 * ms)
        assert np.isfinite(cells.v).all()
        net.run(1 * ms)
        assert not np.isfinite(cells.v[2]) and np.isfinite(np.delete(cells.v, 2)).all()


def test_the_check_can_be_switched_off():
    net, cells = _network()
    with ns.config_context(check_finite=False):
        net.run(1100 * ms, dt=1 * ms, seed=1, backend="numpy")
    assert np.isinf(cells.v[2])
    with pytest.raises(TypeError, match="check_finite='yes' must be True or False"):
        ns.set_config(check_finite="yes")
