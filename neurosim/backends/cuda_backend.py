"""The CUDA backend: device arrays, launch configuration, on-device spike buffers.

Static arrays (connectivity, parameters) are copied to the GPU once per network
and kept until the network is deleted; the state is copied in and out once per
chunk (about a second of simulated time), so that runs on different backends
continue from the same state. A kernel launch runs up to ``MAX_LAUNCH_STEPS`` steps
and records their spikes on the device as bits, a row a step, which are copied into
pinned memory behind the launch and read while the next launch runs: waiting for
that copy is the only host synchronisation inside a chunk.
"""
import warnings
from collections import namedtuple

import numpy as np

from ..kernels import _cuda
from ..kernels._layout import VAR_SYNAPSE
from ..kernels.connect import DEGREE
from ..kernels.plasticity import empty_plastic
from ..kernels.procedural import empty_procedural
from ._base import Backend

# the steps of one launch: as many as the spike bits' rows that fit in
# SPIKE_BITS_BYTES, from MIN_LAUNCH_STEPS (where sources are many) to MAX_LAUNCH_STEPS
MIN_LAUNCH_STEPS, MAX_LAUNCH_STEPS = 64, 1024
SPIKE_BITS_BYTES = 32 * 2**20
# the state copied to the GPU and back every chunk
_CHANGING = ("v", "ge", "gi", "ref", "aux", "buffer")
# (the keys of the kernels' groups, simulate_cuda._groups: a current's fields prefixed
# "cur_", a drive's "d_", a state monitor's "st_")
_STATIC = ("seg_hi", "seg_code", "seg_prm", "seg_hoff", "nrn_prm", "i_bias", "indptr", "target",
           "weight", "weight_code", "delay", "p_fire", "block_lo", "thresholds", "gen_source",
           "mask", "rate_lo", "rate_hi", "st_var", "st_every",
           "st_ncol", "st_nptr", "cur_lo", "cur_hi", "cur_vptr", "cur_values", "cur_n_rows",
           "cur_n_cols", "cur_ratio", "d_lo", "d_hi", "d_channel", "d_weight", "d_n_sub",
           "d_k_lo", "d_k_max", "d_t_ptr", "d_g_ptr", "d_shift", "d_thresholds", "d_guide",
           "st_scol", "st_idx")
# what a user may change between runs (rates, constant currents, weights, a model's
# parameters, time-varying currents): copied again at the start of every run
_BETWEEN_RUNS = ("p_fire", "thresholds", "i_bias", "weight", "weight_code", "seg_prm", "nrn_prm",
                 "cur_values")
# the plastic synapses' arrays (kernels.plasticity.Plastic): fixed once built, and the
# state, copied in and out every chunk like the neurons' (prm only in: learning is
# switched on and off between runs); the rules with traces per neuron add their slots,
# rows and column index, and their traces and origin (gain, the step's factors, is
# scratch on the device)
_PLASTIC_STATIC = ("rule", "pre_ptr", "target", "delay", "col_ptr", "col_syn", "delay_range",
                   "slot", "slot_rule", "slot_delay", "slot_base", "row_lo", "row_hi",
                   "ncol_ptr", "ncol_syn", "ncol_pre")
_PLASTIC_CHANGING = ("w", "trace", "last", "queue", "queue_n", "dopamine", "dopamine_due",
                     "dopamine_integral", "window", "x_pre", "x_post", "epoch")
# the procedural projections' arrays (kernels.procedural.Procedural without the CPU's
# scratch sizes: simulate_cuda.ProceduralRows)
_PROCEDURAL = ("lo", "hi", "row0", "excluded", "k", "code", "m", "add", "p_scale",
               "multapses", "seed", "streams", "w_kind", "w_prm", "d_kind", "d_prm", "d_div")


class CudaBackend(Backend):
    compiled = True
    name = "cuda"
    # wall seconds per call: how soon Ctrl-C is honoured; longer than on the CPU,
    # as every call copies the state to the GPU and back
    slice_seconds = 0.5
    threads_per_block = 128
    # 256: the fused kernel's registers allow at most 256-511 threads a block (1024
    # failed with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES on an H100)
    fused_threads = 256
    # "fused": up to MAX_LAUNCH_STEPS steps in one cooperative launch (steps_fused_cuda);
    # "per_phase": one launch per phase and step (step_cuda), for the simulator's tests
    launch = "fused"

    @staticmethod
    def is_available():
        return _cuda.why_unavailable() is None

    @staticmethod
    def why_unavailable():
        return _cuda.why_unavailable()

    def threads_for(self, n_neurons, n_threads=None):
        return 1

    def _blocks(self, n):
        return max(1, min(4096, (n + self.threads_per_block - 1) // self.threads_per_block))

    def check_memory(self, n_bytes):
        """Refuse a network that will not fit in the GPU's free memory."""
        if _cuda.simulator_enabled():
            return
        free, _ = _cuda.cuda.current_context().get_memory_info()
        if n_bytes > free:
            from .._memory import NetworkTooLargeError
            raise NetworkTooLargeError(f"the network needs about {n_bytes / 2**30:.2f} GiB on "
                                       f"the GPU but only {free / 2**30:.2f} GiB is free")

    def start(self, net, n_steps, chunk, threads):
        refuse_distinct_rows(net)
        cache = getattr(net._arrays, "_cuda", None)
        if cache is not None:
            host = self._host_arrays(net._arrays)
            for k in _BETWEEN_RUNS:
                if cache[k].shape == host[k].shape:
                    cache[k].copy_to_device(np.ascontiguousarray(host[k]))
                else:       # shared weights made one per synapse (_weights.set_fixed)
                    cache[k] = _cuda.cuda.to_device(np.ascontiguousarray(host[k]))

    @staticmethod
    def _host_arrays(arrays):
        """The host arrays of ``_STATIC`` (those of the state monitors' columns apart)."""
        nr, src, syn, drv, cur, rec = (arrays.neurons, arrays.sources, arrays.synapses,
                                       arrays.drives, arrays.currents, arrays.recorders)
        return dict(seg_hi=nr.seg_hi, seg_code=nr.seg_code,
                    seg_prm=nr.seg_prm, seg_hoff=nr.seg_hoff,
                    # a placeholder row when no parameter is per neuron
                    nrn_prm=nr.nrn_prm if nr.nrn_prm.shape[0] else
                    np.zeros((1, nr.seg_prm.shape[1]), nr.seg_prm.dtype),
                    i_bias=nr.i_bias, indptr=syn.indptr,
                    target=syn.target, weight=syn.weight, weight_code=syn.weight_code,
                    delay=_narrow_delays(syn.delay),
                    p_fire=src.p_fire, block_lo=src.block_lo, thresholds=src.thresholds,
                    gen_source=src.gen_source, mask=rec.mask,
                    rate_lo=rec.rate_lo, rate_hi=rec.rate_hi, st_var=rec.st_var,
                    st_every=rec.st_every,
                    **{f"cur_{f}": getattr(cur, f) for f in cur._fields},
                    **{f"d_{f}": getattr(drv, f) for f in drv._fields})

    def _device_arrays(self, arrays):
        cache = getattr(arrays, "_cuda", None)
        if cache is None:
            nr, src, rec = arrays.neurons, arrays.sources, arrays.recorders
            host = self._host_arrays(arrays)
            # the recorded columns of neurons grouped by neuron, so that the thread that
            # updates a neuron samples it (no barrier of its own for the state monitors);
            # those of plastic synapses apart (sampled before the synapses change)
            synaptic = rec.st_var >= VAR_SYNAPSE
            neuron_cols = np.flatnonzero(~synaptic)
            host["st_ncol"] = neuron_cols[np.argsort(rec.st_idx[neuron_cols], kind="stable")]
            host["st_nptr"] = np.searchsorted(rec.st_idx[host["st_ncol"]],
                                              np.arange(nr.v.size + 1))
            host["st_scol"], host["st_idx"] = np.flatnonzero(synaptic), rec.st_idx
            n_src = nr.v.size + src.p_fire.size
            pl = self._plastic(arrays)
            host.update({f"pl_{f}": getattr(pl, f) for f in _PLASTIC_STATIC})
            pr = _procedural(arrays)
            host.update({f"pr_{f}": getattr(pr, f) for f in _PROCEDURAL})
            # an MPI GPU rank's own neurons, whose procedural synapses alone it adds
            keep = getattr(arrays, "procedural_keep", None)
            host["pr_keep"] = np.zeros(0, np.uint8) if keep is None else keep
            self.check_memory(sum(a.nbytes for a in host.values()) + 8 * nr.buffer.size
                              + 40 * nr.v.size + 16 * n_src
                              + 8 * launch_steps(n_src) * -(-n_src // 32)
                              + sum(getattr(pl, f).nbytes for f in _PLASTIC_CHANGING))
            cache = {k: _cuda.cuda.to_device(np.ascontiguousarray(host[k]))
                     for k in _STATIC + tuple(f"pl_{f}" for f in _PLASTIC_STATIC)
                     + tuple(f"pr_{f}" for f in _PROCEDURAL + ("keep",))}
            cache["fired"] = _cuda.cuda.to_device(np.zeros(src.p_fire.size, dtype=np.bool_))
            cache["spiked"] = _cuda.cuda.to_device(np.zeros(nr.v.size, dtype=np.bool_))
            cache["fire_list"] = _cuda.cuda.device_array((3, n_src), dtype=np.int64)
            cache["pl_gain"] = _cuda.cuda.to_device(pl.gain)
            cache["bits"] = _cuda.cuda.to_device(np.zeros((launch_steps(n_src), -(-n_src // 32)),
                                                          np.uint32))
            # two, so that a launch's spikes are copied while the last one's are read
            cache["bits_host"] = tuple(_cuda.cuda.pinned_array(cache["bits"].shape, np.uint32)
                                       for _ in range(2))
            arrays._cuda = cache
        return dict(cache)

    @staticmethod
    def _plastic(arrays):
        """The network's plastic synapses (placeholders where it has none, or for the
        view of an MPI GPU rank, which has no plastic synapses)."""
        pl = getattr(arrays, "plastic", None)
        if pl is None:
            pl = empty_plastic(arrays.neurons.v.size + arrays.sources.p_fire.size)
        return pl

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        # imported here, not with neurosim: it imports numba.cuda (kernels._cuda)
        engine = arrays.engine("simulate_cuda")
        nr, src, rec, ctr = arrays.neurons, arrays.sources, arrays.recorders, arrays.counters
        to_dev = _cuda.cuda.to_device
        d = self._device_arrays(arrays)
        for k in _CHANGING:
            d[k] = to_dev(getattr(nr, k))
        if nr.aux.size == 0:            # no extra state: a placeholder, never read
            d["aux"] = to_dev(np.zeros((1, 1), dtype=nr.v.dtype))
        d.update(st_off=to_dev(rec.st_off), st_count=to_dev(rec.st_count),
                 st_buf=to_dev(rec.st_buf), rate_buf=to_dev(rec.rate_buf))
        pl = self._plastic(arrays)
        for f in _PLASTIC_CHANGING + ("prm",):
            d[f"pl_{f}"] = to_dev(getattr(pl, f))
        d["fire_count"] = to_dev(np.zeros(3, dtype=np.int64))
        gen_ptr = np.searchsorted(src.gen_step, step0 + np.arange(n_steps + 1), side="left")
        gen_dev = to_dev(gen_ptr)
        fused = self.launch == "fused"
        threads = self.fused_threads if fused else self.threads_per_block
        pgroup = engine.delivery_group(pl.pre_ptr, threads)
        if fused:                           # also Network._compile's 0-step call
            blocks = engine.fused_blocks(d, seed, gen_dev[:1], threads, pgroup)
        rows = d["bits"].shape[0]
        # the launches queue on a stream of their own, each followed by the copy of its
        # spike bits, so that the host reads a launch's spikes while the next one runs
        stream = _cuda.cuda.stream()
        done, pending = 0, None         # pending: the last launch's spikes, in transit
        with warnings.catch_warnings():
            # the simulator runs the uint64 hash in Python, where wrap-around warns
            warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
            while done < n_steps:
                block = min(rows, n_steps - done)
                if fused:
                    ptr = gen_ptr[done:done + block + 1]
                    single = engine.one_barrier(arrays.min_delay, pl.w.size > 0, np.diff(ptr))
                    engine.steps_fused_cuda(d, seed, step0 + done, done, block,
                                            gen_dev[done:done + block + 1], blocks, threads,
                                            pgroup, single, stream)
                else:
                    engine.clear_spikes(d, step0 + done, block, threads)
                    for i in range(done, done + block):
                        engine.step_cuda(d, seed, step0 + i, i, int(gen_ptr[i]),
                                         int(gen_ptr[i + 1]), self._blocks, threads, pgroup)
                # into the pinned buffer that the last launch's spikes are not read from
                copy = _queue_spike_copy(d, step0 + done, block, stream,
                                         0 if pending is None else 1 - pending.half)
                if pending is not None:
                    _append_spikes(arrays, pending)
                pending = copy
                done += block
            if pending is not None:
                _append_spikes(arrays, pending)
            stream.synchronize()
        for k in _CHANGING:
            if getattr(nr, k).size:
                d[k].copy_to_host(getattr(nr, k))
        for f in _PLASTIC_CHANGING:
            if getattr(pl, f).size:
                d[f"pl_{f}"].copy_to_host(getattr(pl, f))
        d["st_count"].copy_to_host(rec.st_count)
        d["st_buf"].copy_to_host(rec.st_buf)
        d["rate_buf"].copy_to_host(rec.rate_buf)
        ctr[0] = gen_ptr[done]
        return done

# a launch's spike bits on their way to pinned buffer `half` (`host`): `done` is the
# event behind the copy; rows [lo, hi) of each piece hold steps from `step0` on
_SpikeCopy = namedtuple("_SpikeCopy", "done host half step0 first pieces")


def _queue_spike_copy(d, step0, n_steps, stream, half):
    """Queue on ``stream``, behind the launch, the copy of the spike bits of steps
    ``step0`` to ``step0 + n_steps`` (at most the bits' rows, from row ``step0 % rows``
    on, wrapping around) into pinned buffer ``half``; returns what
    :func:`_append_spikes` needs to read them once they are there."""
    bits, host = d["bits"], d["bits_host"][half]
    rows = bits.shape[0]
    first = step0 % rows
    pieces = [(lo, hi) for lo, hi in ((first, min(rows, first + n_steps)),
                                      (0, first + n_steps - rows)) if hi > lo]
    for lo, hi in pieces:
        bits[lo:hi].copy_to_host(host[lo:hi], stream=stream)
    done = _cuda.cuda.event()
    done.record(stream)
    return _SpikeCopy(done, host, half, step0, first, pieces)


def _append_spikes(arrays, copy):
    """Wait for ``copy`` (from :func:`_queue_spike_copy`) and append its spikes to the
    host's record in the order of (step, index), growing the record where they do not
    fit (the run loop keeps the grown one)."""
    copy.done.synchronize()
    host, ctr = copy.host, arrays.counters
    rows = host.shape[0]
    for lo, hi in copy.pieces:
        i, row = _set_bits(host[lo:hi])
        rec, end = arrays.recorders, ctr[1] + i.size
        if end > rec.spike_i.size:
            size = max(end, 2 * rec.spike_i.size)
            rec = arrays.recorders = rec._replace(
                spike_i=_grown(rec.spike_i[:ctr[1]], size),
                spike_step=_grown(rec.spike_step[:ctr[1]], size))
        rec.spike_i[ctr[1]:end] = i
        rec.spike_step[ctr[1]:end] = copy.step0 + (row + lo - copy.first) % rows
        ctr[1] = end


def _grown(kept, size):
    out = np.zeros(size, kept.dtype)
    out[:kept.size] = kept
    return out


def _set_bits(words):
    """The set bits of ``words`` (steps x words of 32 sources): their sources and rows,
    in the order of (row, source)."""
    flat = words.ravel()
    nonzero = np.flatnonzero(flat)
    per_byte = flat[nonzero].astype("<u4").view(np.uint8).reshape(-1, 4)
    k, bit = np.nonzero(np.unpackbits(per_byte, axis=1, bitorder="little"))
    where = nonzero[k]
    return (where % words.shape[1]) * 32 + bit, where // words.shape[1]


def _narrow_delays(delay):
    """The delays (steps) as uint8 where they fit, as the GPU reads them: a byte a
    synapse instead of two (PD14: 0.3 GB less to read); the host keeps int16."""
    if delay.size and 0 <= delay.min() and delay.max() <= np.iinfo(np.uint8).max:
        return delay.astype(np.uint8)
    return delay


def launch_steps(n_sources):
    """The steps of one launch for a network of ``n_sources`` neurons and sources (the
    rows of its spike bits)."""
    row = 4 * -(-n_sources // 32)
    return int(min(MAX_LAUNCH_STEPS, max(MIN_LAUNCH_STEPS, SPIKE_BITS_BYTES // row)))


def _procedural(arrays):
    """The network's procedural projections (placeholders where it has none)."""
    pr = getattr(arrays, "procedural", None)
    return empty_procedural() if pr is None else pr


def refuse_distinct_rows(net):
    """Refuse procedural projections whose rows a GPU thread cannot draw alone: distinct
    partners (``DEGREE`` without multapses), drawn together by Floyd's algorithm."""
    pr = getattr(net._arrays, "procedural", None)
    if pr is None:
        return
    procedural = [s for s in net.synapses if getattr(s, "_procedural", None) is not None]
    names = [procedural[p].name for p in np.flatnonzero((pr.code == DEGREE) & ~pr.multapses)]
    if names:
        raise NotImplementedError(
            f"storage='procedural' with distinct partners ({', '.join(names)}: "
            "FixedOutdegree or FixedTotalNumber with allow_multapses=False) is not supported "
            "on the cuda backend: a GPU thread draws a row one synapse at a time, and "
            "distinct partners are drawn together (Floyd's algorithm). Use "
            "allow_multapses=True, storage='stored', or backend='numba'")
