"""A balanced network of binary units settles where the balance equations say.

van Vreeswijk & Sompolinsky (1996, 1998): with K inputs per unit of weight
J/sqrt(K) and external input sqrt(K) E m0, the excitatory and inhibitory inputs
are each O(sqrt(K)) but cancel to O(1). Dividing the mean input by sqrt(K), the
population activities satisfy, up to O(1/sqrt(K)),

    E m0 + m_E - J_E m_I = 0,      I m0 + m_E - J_I m_I = 0,

whose solution (the paper's parameters: E = 1, I = 0.8, J_E = 2, J_I = 1.8,
m0 = 0.1) is m_E = m_I = 0.1. The tests check that the residuals of these
equations shrink like 1/sqrt(K) from K = 100 to K = 400, and that the
activities move towards the solution. They move slowly: the balance matrix is
nearly singular (determinant 0.2), so an O(1/sqrt(K)) residual makes an
activity error five times larger (measured: m_E = 0.026 at K = 100, 0.042 at
K = 400; the Gaussian mean-field theory gives 0.037 and 0.049, and 0.064 at
K = 1600).
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from networks import VVS98, balance_solution, balanced_binary  # noqa: E402

from neurosim.units import ms  # noqa: E402

DT = 1 * ms
DURATION = 600 * ms
SETTLE = 200          # steps discarded as transient
N = 2000              # units per population: K/N = 0.05 and 0.2


@pytest.fixture(scope="module")
def activities():
    """{K: (m_E, m_I, std of m_E(t))} for K = 100 and 400, one run each."""
    out = {}
    for k in (100, 400):
        net, mon = balanced_binary(k=k, n=N, record_spikes=False, init_seed=1)
        net.run(DURATION, dt=DT, backend="numba", seed=1)
        m_e = mon["rate_e"].rate[SETTLE:] * net.dt        # fraction of active units per step
        m_i = mon["rate_i"].rate[SETTLE:] * net.dt
        out[k] = (m_e.mean(), m_i.mean(), m_e.std())
    return out


def _residuals(m_e, m_i, p=VVS98):
    return (p["E"] * p["m0"] + m_e - p["J_E"] * m_i,
            p["I"] * p["m0"] + m_e - p["J_I"] * m_i)


def test_balance_solution_of_the_paper():
    m_e, m_i = balance_solution()
    assert np.allclose([m_e, m_i], [0.1, 0.1])
    assert np.allclose(_residuals(m_e, m_i), 0.0, atol=1e-15)


def test_activity_is_asynchronous_and_neither_silent_nor_saturated(activities):
    for k, (m_e, m_i, sd) in activities.items():
        assert 0.01 < m_e < 0.2 and 0.01 < m_i < 0.2, (k, m_e, m_i)
        # finite-size fluctuations only: sqrt(m (1 - m) / N) ~ 0.004, no oscillation
        assert sd < 0.02, (k, sd)


def test_balance_equations_hold_to_order_one_over_sqrt_k(activities):
    # measured: sqrt(K) |residual| <= 0.15 at both K (the net input stays O(1) while
    # the excitatory input sqrt(K) (E m0 + m_E) grows from 1.3 to 2.8)
    for k, (m_e, m_i, _) in activities.items():
        tol = 0.3 / np.sqrt(k)           # 0.03 at K = 100, 0.015 at K = 400
        r_e, r_i = _residuals(m_e, m_i)
        assert abs(r_e) < tol and abs(r_i) < tol, (k, r_e, r_i, tol)
        excitation = np.sqrt(k) * (VVS98["E"] * VVS98["m0"] + m_e)
        assert excitation > 4 * np.sqrt(k) * max(abs(r_e), abs(r_i))


def test_activities_approach_balance_solution_as_k_grows(activities):
    target = np.array(balance_solution())
    dist = {k: np.hypot(*(np.array(v[:2]) - target)) for k, v in activities.items()}
    # measured: 0.086 at K = 100, 0.065 at K = 400 (run-to-run spread ~0.003)
    assert dist[400] < dist[100] - 0.01, dist
    for k, (m_e, m_i, _) in activities.items():
        # both populations below the limit and rising towards it
        assert m_e < target[0] and m_i < target[1]
    assert activities[400][0] > activities[100][0] + 0.008
    assert activities[400][1] > activities[100][1] + 0.005
