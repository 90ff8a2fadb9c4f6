"""The plastic synapses' step (``kernels.plasticity.plasticity_step``, compiled) against
its numpy twin, on random states: three projections with every rule and option (pair
and triplet, all and nearest pairing, additive and multiplicative, transmission first
or last, short-term plasticity with and without facilitation), per-synapse delays,
learning switched off on one, traces and last updates at random, random firing. The
weights, traces, queue and ring buffer must agree bit for bit, step after step; the
monitor's samples too."""
import numpy as np

from neurosim.kernels import plasticity as K

N_SRC, N, P, DEPTH = 40, 30, 500, 6


def _rows():
    dt = 1e-4
    rows = np.zeros((3, K.N_RULE_PARAMS))
    rows[:, K.DT] = dt
    rows[:, K.LEARNING] = [1, 1, 0]
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
    return rows


def _plastic(rng):
    n_total = N + N_SRC
    pre = rng.integers(0, n_total, P)
    post = rng.integers(0, N, P)
    delay = rng.integers(0, DEPTH, P).astype(np.int32)
    rule = rng.integers(0, 3, P).astype(np.int32)
    order = np.lexsort((delay, pre))
    pre, post, delay, rule = pre[order], post[order], delay[order], rule[order]
    pre_ptr = np.zeros(n_total + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_total), out=pre_ptr[1:])
    learns = rule != 2
    col_ptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(post[learns], minlength=N), out=col_ptr[1:])
    col_syn = np.flatnonzero(learns)[np.argsort(post[learns], kind="stable")]
    prm = _rows()
    w = rng.uniform(prm[rule, K.W_MIN], prm[rule, K.W_MAX])
    trace = rng.uniform(0, 2, (6, P))
    trace[K.STP_U] = rng.uniform(0, 1, P)
    trace[K.STP_R] = rng.uniform(0, 1, P)
    return K.Plastic(prm=prm, rule=rule, pre_ptr=pre_ptr, target=post + N * rng.integers(0, 2, P),
                     delay=delay, w=w, trace=trace, last=rng.integers(0, 50, P),
                     col_ptr=col_ptr, col_syn=col_syn.astype(np.int64),
                     queue=np.zeros((DEPTH, n_total), np.int64),
                     queue_n=np.zeros(DEPTH, np.int64),
                     delay_range=np.array([0, DEPTH - 1], np.int64))


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
        K.plasticity_step_numpy(ref, firing, N, step, buf_b, slot)
        arrivals += int(np.count_nonzero(buf_b[slot]))
        for f in ("w", "trace", "last", "queue", "queue_n"):
            assert np.array_equal(getattr(ours, f), getattr(ref, f)), (step, f)
        assert np.array_equal(buf_a[slot], buf_b[slot]), step
        n_touched[slot] = 0
        buf_a[slot] = buf_b[slot] = 0
    assert arrivals > 200
    # samples of every variable, decayed to a later step
    q = np.arange(P)
    for code in range(7):
        codes = np.full(P, code)
        want = K.sample_plastic_numpy(codes, q, 120, ref)
        got = np.array([K.sample_plastic(code, k, 120, ours.w, ours.trace, ours.last,
                                         ours.prm, ours.rule[k]) for k in q])
        if code == 1 + K.STP_U:          # u only where it facilitates (projection 0)
            got, want = got[ours.rule == 0], want[ours.rule == 0]
        assert np.array_equal(got, want), code
    # learning switched off: those weights never moved
    assert np.all(ref.w[ref.rule == 2] == _plastic(np.random.default_rng(11)).w[ref.rule == 2])
