"""The numpy reference backend: the same schedule as the compiled loop, vectorised.

Readable rather than fast; the oracle that the numba backend is tested against.
Model arithmetic comes from the models' vectorised twins (``vector_update``,
``vector_receive`` of their kernels); a model without them is run through its
plain-Python scalar rule, neuron by neuron, interpreted (never the compiled
code). This file only sequences them and records.
"""
import numpy as np

from ..kernels import _layout as L
from ..kernels._rng import keyed_bits_numpy
from ..kernels.plasticity_numpy import plasticity_step_numpy, sample_plastic_numpy
from ..kernels.poisson import poisson_count_numpy
from ..kernels.poisson_sources import firing_numpy
from ..kernels.procedural import deliver_procedural_numpy
from ..kernels.propagate import propagate_numpy
from ._base import Backend


class NumpyBackend(Backend):
    name = "numpy"
    # wall seconds per call of run_chunk: how soon Ctrl-C is honoured
    slice_seconds = 0.2

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        nr, src, syn, drv, cur, rec = (arrays.neurons, arrays.sources, arrays.synapses,
                                       arrays.drives, arrays.currents, arrays.recorders)
        ctr = arrays.counters
        n, n_src = nr.v.size, src.p_fire.size
        worst = int(rec.mask.sum())
        for i in range(n_steps):
            step = step0 + i
            if ctr[1] + worst > rec.spike_i.size:
                return i
            _injected_currents(nr, cur, step)
            _sample_states(nr, rec, arrays.plastic, step)
            for g in range(nr.seg_lo.size):
                _update_segment(nr, arrays.model_set[nr.seg_code[g]], g, seed, step)
            hi_gen = ctr[0] + np.searchsorted(src.gen_step[ctr[0]:], step, side="right")
            fired = np.zeros(n_src, dtype=bool)
            fired[src.gen_source[ctr[0]:hi_gen] - n] = True
            ctr[0] = hi_gen
            if n_src:
                fired = firing_numpy(seed, step, n, src.p_fire, fired, src.block_lo,
                                     src.thresholds)
            firing = np.concatenate([np.flatnonzero(nr.spiked), n + np.flatnonzero(fired)])
            slot = step % nr.buffer.shape[0]
            propagate_numpy(firing, step, syn.indptr, syn.target, syn.weight, syn.weight_code,
                            syn.delay, nr.buffer)
            pr = getattr(arrays, "procedural", None)
            if pr is not None:
                deliver_procedural_numpy(pr, firing, step, nr.buffer)
            plasticity_step_numpy(arrays.plastic, firing, n, step, nr.buffer, slot)
            _poisson_drives(nr, drv, seed, step, slot)
            _apply_slot(nr, arrays.model_set, slot)
            recorded = firing[rec.mask[firing].astype(bool)]
            rec.spike_i[ctr[1]:ctr[1] + recorded.size] = recorded
            rec.spike_step[ctr[1]:ctr[1] + recorded.size] = step
            ctr[1] += recorded.size
            for r in range(rec.rate_lo.size):
                rec.rate_buf[i, r] += np.count_nonzero((firing >= rec.rate_lo[r]) &
                                                       (firing < rec.rate_hi[r]))
        return n_steps


def _update_segment(nr, kernel, g, seed, step):
    lo, hi = nr.seg_lo[g], nr.seg_hi[g]
    if nr.seg_hoff[g] != L.SHARED:      # a row per neuron: one neuron at a time
        for k in range(lo, hi):
            _update_neurons(nr, kernel, k, k + 1, kernel.parameter_tuple(
                nr.nrn_prm[k + nr.seg_hoff[g]]), seed, step)
        return
    _update_neurons(nr, kernel, lo, hi, kernel.parameter_tuple(nr.seg_prm[g]), seed, step)


def _update_neurons(nr, kernel, lo, hi, p, seed, step):
    state = [nr.v[lo:hi], nr.ge[lo:hi], nr.gi[lo:hi], nr.ref[lo:hi]] + \
        [nr.aux[j, lo:hi] for j in range(len(kernel.extra_state))]
    if kernel.vector_update is not None:
        nr.spiked[lo:hi] = kernel.vector_update(*state, nr.i_ext[lo:hi], p, seed, step,
                                                np.arange(lo, hi))
        return
    # the plain rule, interpreted, one neuron at a time (a generated rule, such as an
    # ODE model's step, has an interpreted twin that calls the plain functions)
    update = getattr(kernel.scalar_update, "_interpreted", kernel.scalar_update)
    for j in range(hi - lo):
        out = update(*[x[j] for x in state], nr.i_ext[lo + j], p, seed, step, lo + j)
        for x, value in zip(state, out):
            x[j] = value
        nr.spiked[lo + j] = out[-1]


def _injected_currents(nr, cur, step):
    if cur.n_rows.size == 0:      # i_ext is a copy of i_bias then (see kernels.simulate)
        return
    nr.i_ext[:] = nr.i_bias
    for c in range(cur.n_rows.size):
        row = min(step // cur.ratio[c], cur.n_rows[c] - 1)
        base = cur.vptr[c] + row * cur.n_cols[c]
        nr.i_ext[cur.lo[c]:cur.hi[c]] += cur.values[base:base + cur.n_cols[c]]


def _sample_states(nr, rec, pl, step):
    due = np.flatnonzero(step % rec.st_every == 0)
    if due.size == 0:
        return
    syn = rec.st_var[due] >= L.VAR_SYNAPSE
    neu, plastic = due[~syn], due[syn]
    table = np.concatenate([np.stack([nr.v, nr.ge, nr.gi]), nr.aux])
    rec.st_buf[rec.st_off[neu] + rec.st_count[neu]] = table[rec.st_var[neu], rec.st_idx[neu]]
    if plastic.size:
        rec.st_buf[rec.st_off[plastic] + rec.st_count[plastic]] = sample_plastic_numpy(
            rec.st_var[plastic] - L.VAR_SYNAPSE, rec.st_idx[plastic], step, pl)
    rec.st_count[due] += 1


def _poisson_drives(nr, drv, seed, step, slot):
    n = nr.v.size
    for d in range(drv.lo.size):
        lo, hi, m_sub = drv.lo[d], drv.hi[d], drv.n_sub[d]
        x = keyed_bits_numpy(seed, L.STREAM_POISSON_INPUT + d, step, np.arange((hi - lo) * m_sub))
        counts = poisson_count_numpy(x, drv.t_ptr[d], drv.g_ptr[d], drv.shift[d], drv.k_lo[d],
                                     drv.thresholds, drv.guide)
        counts = counts.reshape(hi - lo, m_sub).sum(axis=1)
        start = drv.channel[d] * n + lo
        nr.buffer[slot, start:start + hi - lo] += counts * drv.weight[d]


def _apply_slot(nr, model_set, slot):
    n = nr.v.size
    exc, inh = nr.buffer[slot, :n], nr.buffer[slot, n:]
    for g in range(nr.seg_lo.size):
        lo, hi = nr.seg_lo[g], nr.seg_hi[g]
        kernel = model_set[nr.seg_code[g]]
        if kernel.receive is None:          # input adds to the synaptic variables
            nr.ge[lo:hi] += exc[lo:hi] * L.FIXED_UNIT
            nr.gi[lo:hi] += inh[lo:hi] * L.FIXED_UNIT
        elif kernel.vector_receive is not None:
            nr.v[lo:hi] = kernel.vector_receive(nr.v[lo:hi], nr.ref[lo:hi], nr.spiked[lo:hi],
                                                exc[lo:hi], inh[lo:hi])
        else:
            for k in range(lo, hi):
                nr.v[k] = kernel.receive(nr.v[k], nr.ref[k], nr.spiked[k], exc[k], inh[k])
    nr.buffer[slot] = 0
