"""The plastic synapses' step (``kernels.plasticity.plasticity_step``, compiled) against
its numpy twin, on random states: three projections with every rule and option (pair
and triplet, all and nearest pairing, additive and multiplicative, transmission first
or last, short-term plasticity with and without facilitation), per-synapse delays,
learning switched off on one, reward-modulated STDP with a dopamine source, a baseline
and window ends within the run), traces and last updates at random, random firing. The
weights, traces, queue, dopamine and ring buffer must agree bit for bit, step after
step; the monitor's samples too."""
import numpy as np

from neurosim.kernels import plasticity as K
from neurosim.kernels import plasticity_numpy as KN

N_SRC, N, P, DEPTH = 40, 30, 500, 6
WINDOW, START = 15, 55          # the reward rule's window: steps 55-70, 70-85, 85-100


def _rows():
    dt = 1e-4
    rows = np.zeros((4, K.N_RULE_PARAMS))
    rows[:, K.DT] = dt
    rows[:, K.LEARNING] = [1, 1, 0, 1]
    # pair, nearest, multiplicative, transmitted after the depression, with STP
    rows[0, [K.KIND, K.TAU_PLUS, K.TAU_MINUS, K.A_PLUS, K.A_MINUS, K.W_MIN, K.W_MAX]] = (
        K.PAIR, 0.02, 0.03, 0.05, 0.06, 1e-4, 3e-3)
    rows[0, [K.NEAREST, K.MULTIPLICATIVE, K.TRANSMIT_LAST]] = 1, 1, 1
    rows[0, [K.STP, K.U, K.TAU_REC, K.TAU_FACIL]] = 1, 0.3, 0.1, 0.2
    # triplet, all-to-all, additive, depressing STP without facilitation
    rows[1, [K.KIND, K.TAU_PLUS, K.TAU_MINUS, K.TAU_X, K.TAU_Y]] = K.TRIPLET, 0.017, 0.034, 0.1, 0.12
    rows[1, [K.A_PLUS, K.A_MINUS, K.A3_PLUS, K.A3_MINUS, K.W_MIN, K.W_MAX]] = (
        0.01, 0.02, 0.03, 0.004, 0.0, 2e-3)
    rows[1, [K.STP, K.U, K.TAU_REC]] = 1, 0.5, 0.05
    # pair, learning off
    rows[2, [K.KIND, K.TAU_PLUS, K.TAU_MINUS, K.A_PLUS, K.A_MINUS, K.W_MAX]] = (
        K.PAIR, 0.01, 0.01, 0.1, 0.1, 1e-3)
    # reward-modulated, nearest pairing, dopamine from sources 0-9 after 3 steps, baseline
    rows[3, [K.KIND, K.TAU_PLUS, K.TAU_MINUS, K.A_PLUS, K.A_MINUS, K.W_MIN, K.W_MAX]] = (
        K.REWARD, 0.02, 0.02, 0.5, 0.6, 1e-4, 2e-3)
    rows[3, [K.TAU_C, K.GAIN_D, K.GAIN_BASELINE, K.DECAY_D]] = 0.0015, 9e-5, 2e-4, 0.995
    rows[3, [K.D_JUMP, K.D_DELAY, K.D_LO, K.D_HI, K.NEAREST]] = 30.0, 3, N, N + 10, 1
    return rows


def _plastic(rng):
    n_total = N + N_SRC
    pre = rng.integers(0, n_total, P)
    post = rng.integers(0, N, P)
    delay = rng.integers(0, DEPTH, P).astype(np.int32)
    rule = rng.integers(0, 4, P).astype(np.int32)
    order = np.lexsort((delay, pre))
    pre, post, delay, rule = pre[order], post[order], delay[order], rule[order]
    pre_ptr = np.zeros(n_total + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_total), out=pre_ptr[1:])
    learns = rule != 2
    reward = rule == 3
    col_ptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(post[learns], minlength=N), out=col_ptr[1:])
    col_syn = np.flatnonzero(learns)[np.argsort(post[learns], kind="stable")]
    prm = _rows()
    w = rng.uniform(prm[rule, K.W_MIN], prm[rule, K.W_MAX])
    trace = rng.uniform(0, 2, (6, P))
    trace[K.STP_U] = rng.uniform(0, 1, P)
    trace[K.STP_R] = rng.uniform(0, 1, P)
    trace[K.ELIG, reward] = rng.uniform(-1, 1, reward.sum())
    last = np.where(reward, rng.integers(START, 60, P), rng.integers(0, 50, P))
    integral = np.zeros((4, WINDOW + 1))
    integral[3, :6] = np.cumsum(rng.uniform(0, 1e-3, 6)) - 1e-3    # steps 55-59 summed
    due = np.zeros((4, 4))
    due[3] = rng.uniform(0, 40, 4)
    return K.Plastic(prm=prm, rule=rule, pre_ptr=pre_ptr, target=post + N * rng.integers(0, 2, P),
                     delay=delay, w=w, trace=trace, last=last,
                     col_ptr=col_ptr, col_syn=col_syn.astype(np.int64),
                     queue=np.zeros((DEPTH, n_total), np.int64),
                     queue_n=np.zeros(DEPTH, np.int64),
                     delay_range=np.array([0, DEPTH - 1], np.int64),
                     dopamine=np.array([0.0, 0.0, 0.0, 25.0]), dopamine_due=due,
                     dopamine_integral=integral, window=np.array([START], np.int64),
                     **K.no_neuron_traces(n_total, N, 4))


def _copy(pl):
    return pl._replace(**{f: getattr(pl, f).copy() for f in pl._fields})


def test_compiled_step_equals_numpy_twin():
    rng = np.random.default_rng(11)
    ours = _plastic(rng)
    ref = _copy(ours)
    buf_a = np.zeros((DEPTH, 2 * N), np.int64)
    buf_b = buf_a.copy()
    touched = np.zeros((DEPTH, 2 * N), np.int32)
    n_touched = np.zeros(DEPTH, np.int64)
    arrivals = 0
    for step in range(60, 100):
        firing = np.flatnonzero(rng.random(N + N_SRC) < 0.25).astype(np.int64)
        slot = step % DEPTH
        K.plasticity_step(ours, firing, firing.size, N, step, buf_a, slot, touched, n_touched)
        KN.plasticity_step_numpy(ref, firing, N, step, buf_b, slot)
        arrivals += int(np.count_nonzero(buf_b[slot]))
        for f in ("w", "trace", "last", "queue", "queue_n", "dopamine", "dopamine_due",
                  "dopamine_integral", "window"):
            assert np.array_equal(getattr(ours, f), getattr(ref, f)), (step, f)
        assert np.array_equal(buf_a[slot], buf_b[slot]), step
        n_touched[slot] = 0
        buf_a[slot] = buf_b[slot] = 0
    assert arrivals > 200
    # the reward rule acted: windows ended, dopamine came, weights moved without a spike
    assert ours.window[0] == 85 and ours.dopamine[3] > 0
    # samples of every variable, decayed to the window's end
    q = np.arange(P)
    for code in range(7):
        codes = np.full(P, code)
        want = KN.sample_plastic_numpy(codes, q, 100, ref)
        got = np.array([K.sample_plastic(code, k, 100, ours.w, ours.trace, ours.last,
                                         ours.prm, ours.rule[k], ours.dopamine_integral,
                                         ours.window) for k in q])
        if code == 1 + K.STP_U:          # u only where it facilitates (projection 0)
            got, want = got[ours.rule == 0], want[ours.rule == 0]
        elif code in (1 + K.R2, 1 + K.O2):      # the triplet's traces, and the eligibility
            keep = np.isin(ours.rule, (1, 3) if code == 1 + K.R2 else (1,))
            got, want = got[keep], want[keep]
        assert np.array_equal(got, want), code
    moved = ours.rule == 3
    assert np.any(KN.sample_plastic_numpy(np.zeros(P, int), q, 100, ref)[moved] != ref.w[moved])
    # learning switched off: those weights never moved
    assert np.all(ref.w[ref.rule == 2] == _plastic(np.random.default_rng(11)).w[ref.rule == 2])
