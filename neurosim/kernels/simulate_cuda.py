"""The time step on an NVIDIA GPU (numba.cuda), in the same schedule as the CPU loop.

The neuron update calls the same scalar rules as the CPU (``_lif_update`` ...
compiled as device functions), randomness comes from the same counter-based
generator, and synaptic input is summed with int64 atomics in fixed point, so
the order in which threads add does not change a single bit. Spikes are
recorded on the device with an atomic counter and sorted by (step, index) on
the host, which makes the record identical to the CPU one.

Every phase of a step is a device function on one element (a neuron, a source,
a recorded column). Two launch modes loop over them:

* ``steps_fused_cuda``: one cooperative launch runs many steps, with a grid-wide
  barrier (``cuda.cg.this_grid().sync()``) between the phases and as many blocks
  as the GPU holds at once. Numba's launch overhead (tens of microseconds per
  launch with this many arguments: 8 s for 1 s of CUBA 64k on an H100 at five
  launches a step) is paid once per chunk instead.
* ``step_cuda``: one grid-wide launch per phase and step. The simulator runs
  cooperative grids of one block only, so the tests use this mode to run every
  phase over several blocks.
"""
from ._cuda import cuda, simulator_enabled
from ._layout import (FIXED_UNIT, LIF_COND, LIF_DELTA, MCCULLOCH_PITTS, STREAM_POISSON_GROUP,
                      STREAM_POISSON_INPUT, VAR_GE, VAR_GI)
from ._rng import uniform
from .lif import _lif_update
from .lif_cond import _lif_cond_update
from .mcculloch_pitts import _mcculloch_pitts_update
from .propagate import poisson_inverse

if cuda is not None:
    # the GPU twins of the CPU's scalar rules: the same Python source, compiled twice
    lif_update_cuda = cuda.jit(device=True)(_lif_update)
    lif_cond_update_cuda = cuda.jit(device=True)(_lif_cond_update)
    mcculloch_pitts_update_cuda = cuda.jit(device=True)(_mcculloch_pitts_update)

    # ------------------------------------------------ phases, one element each
    @cuda.jit(device=True)
    def _sample_one(c, step, v, ge, gi, st_var, st_idx, st_every, st_off, st_count, st_buf):
        if step % st_every[c] == 0:
            k = st_idx[c]
            var = st_var[c]
            x = ge[k] if var == VAR_GE else (gi[k] if var == VAR_GI else v[k])
            st_buf[st_off[c] + st_count[c]] = x
            st_count[c] += 1

    @cuda.jit(device=True)
    def _update_one(k, step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code, seg_prm,
                    cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols, cur_ratio):
        i_ext = i_bias[k]
        for c in range(cur_lo.size):          # same order of additions as the CPU
            if cur_lo[c] <= k < cur_hi[c]:
                row = min(step // cur_ratio[c], cur_rows[c] - 1)
                col = 0 if cur_cols[c] == 1 else k - cur_lo[c]
                i_ext += cur_values[cur_vptr[c] + row * cur_cols[c] + col]
        g = 0
        while k >= seg_hi[g]:
            g += 1
        code = seg_code[g]
        prm = seg_prm[g]
        if code == LIF_COND:
            a, b, c_, d, e = lif_cond_update_cuda(v[k], ge[k], gi[k], ref[k], i_ext, prm, seed,
                                                  step, k)
        elif code == MCCULLOCH_PITTS:
            a, b, c_, d, e = mcculloch_pitts_update_cuda(v[k], ge[k], gi[k], ref[k], i_ext, prm,
                                                         seed, step, k)
        else:
            a, b, c_, d, e = lif_update_cuda(v[k], ge[k], gi[k], ref[k], i_ext, prm, seed, step, k)
        v[k] = a
        ge[k] = b
        gi[k] = c_
        ref[k] = d
        spiked[k] = e

    @cuda.jit(device=True)
    def _poisson_one(s, step, seed, n, p_fire, fired):
        fired[s] = p_fire[s] > 0.0 and uniform(seed, STREAM_POISSON_GROUP, step, n + s) < p_fire[s]

    @cuda.jit(device=True)
    def _propagate_one(g, step, row, n, spiked, fired, indptr, target, weight, delay, buffer,
                       mask, spike_i, spike_step, counters, rate_lo, rate_hi, rate_buf):
        fire = spiked[g] if g < n else fired[g - n]
        if fire:
            depth = buffer.shape[0]
            for q in range(indptr[g], indptr[g + 1]):
                cuda.atomic.add(buffer, ((step + delay[q]) % depth, target[q]), weight[q])
            if mask[g]:
                pos = cuda.atomic.add(counters, 0, 1)
                if pos < spike_i.size:
                    spike_i[pos] = g
                    spike_step[pos] = step
            for r in range(rate_lo.size):
                if rate_lo[r] <= g < rate_hi[r]:
                    cuda.atomic.add(rate_buf, (row, r), 1)

    @cuda.jit(device=True)
    def _drive_one(k, step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0,
                   d_sub, d_kmax):
        # one thread owns neuron k's accumulators in this phase: plain additions are safe
        for d in range(d_lo.size):
            if d_lo[d] <= k < d_hi[d]:
                count = 0
                j = k - d_lo[d]
                for r in range(d_sub[d]):
                    u = uniform(seed, STREAM_POISSON_INPUT + d, step, j * d_sub[d] + r)
                    count += poisson_inverse(u, d_lam[d], d_p0[d], d_kmax[d])
                if count > 0:
                    buffer[slot, d_channel[d] * n + k] += count * d_weight[d]

    @cuda.jit(device=True)
    def _apply_one(k, slot, n, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code):
        g = 0
        while k >= seg_hi[g]:
            g += 1
        if seg_code[g] == LIF_DELTA:
            if ref[k] == 0 and not spiked[k]:
                v[k] += (buffer[slot, k] - buffer[slot, n + k]) * FIXED_UNIT
        else:
            ge[k] += buffer[slot, k] * FIXED_UNIT
            gi[k] += buffer[slot, n + k] * FIXED_UNIT
        buffer[slot, k] = 0
        buffer[slot, n + k] = 0

    # ------------------------------------------------- one launch per phase
    @cuda.jit
    def _sample_cuda_kernel(step, v, ge, gi, st_var, st_idx, st_every, st_off, st_count, st_buf):
        for c in range(cuda.grid(1), st_var.size, cuda.gridsize(1)):
            _sample_one(c, step, v, ge, gi, st_var, st_idx, st_every, st_off, st_count, st_buf)

    @cuda.jit
    def _update_cuda_kernel(step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code,
                            seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols,
                            cur_ratio):
        for k in range(cuda.grid(1), v.size, cuda.gridsize(1)):
            _update_one(k, step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code, seg_prm,
                        cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols, cur_ratio)

    @cuda.jit
    def _poisson_sources_cuda_kernel(step, seed, n, p_fire, fired):
        for s in range(cuda.grid(1), p_fire.size, cuda.gridsize(1)):
            _poisson_one(s, step, seed, n, p_fire, fired)

    @cuda.jit
    def _generator_cuda_kernel(n, fired, gen_source, gen_lo, gen_hi):
        for m in range(gen_lo + cuda.grid(1), gen_hi, cuda.gridsize(1)):
            fired[gen_source[m] - n] = True

    @cuda.jit
    def _propagate_cuda_kernel(step, row, n, spiked, fired, indptr, target, weight, delay, buffer,
                               mask, spike_i, spike_step, counters, rate_lo, rate_hi, rate_buf):
        for g in range(cuda.grid(1), indptr.size - 1, cuda.gridsize(1)):
            _propagate_one(g, step, row, n, spiked, fired, indptr, target, weight, delay, buffer,
                           mask, spike_i, spike_step, counters, rate_lo, rate_hi, rate_buf)

    @cuda.jit
    def _drives_cuda_kernel(step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam,
                            d_p0, d_sub, d_kmax):
        for k in range(cuda.grid(1), n, cuda.gridsize(1)):
            _drive_one(k, step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam,
                       d_p0, d_sub, d_kmax)

    @cuda.jit
    def _apply_cuda_kernel(slot, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code):
        for k in range(cuda.grid(1), v.size, cuda.gridsize(1)):
            _apply_one(k, slot, v.size, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code)

    # ------------------------------------------- many steps in one launch
    @cuda.jit
    def _fused_cuda_kernel(step0, row0, n_steps, seed, v, ge, gi, ref, i_bias, spiked, seg_hi,
                           seg_code, seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows,
                           cur_cols, cur_ratio, st_var, st_idx, st_every, st_off, st_count,
                           st_buf, p_fire, fired, gen_source, gen_ptr, indptr, target, weight,
                           delay, buffer, mask, spike_i, spike_step, counters, rate_lo, rate_hi,
                           rate_buf, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0, d_sub, d_kmax):
        grid = cuda.cg.this_grid()
        t, width = cuda.grid(1), cuda.gridsize(1)
        n = v.size
        for i in range(n_steps):
            step = step0 + i
            for c in range(t, st_var.size, width):
                _sample_one(c, step, v, ge, gi, st_var, st_idx, st_every, st_off, st_count,
                            st_buf)
            grid.sync()
            for k in range(t, n, width):
                _update_one(k, step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code,
                            seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols,
                            cur_ratio)
            for s in range(t, p_fire.size, width):
                _poisson_one(s, step, seed, n, p_fire, fired)
            grid.sync()
            for m in range(gen_ptr[i] + t, gen_ptr[i + 1], width):
                fired[gen_source[m] - n] = True
            grid.sync()
            for g in range(t, indptr.size - 1, width):
                _propagate_one(g, step, row0 + i, n, spiked, fired, indptr, target, weight, delay,
                               buffer, mask, spike_i, spike_step, counters, rate_lo, rate_hi,
                               rate_buf)
            grid.sync()
            slot = step % buffer.shape[0]
            for k in range(t, n, width):
                _drive_one(k, step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam,
                           d_p0, d_sub, d_kmax)
                _apply_one(k, slot, n, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code)
            grid.sync()


def step_cuda(d, seed, step, row, gen_lo, gen_hi, blocks, threads):
    """Launch the phases of one step, each over the whole grid (``d``: device arrays)."""
    n = d["v"].size
    if d["st_var"].size:
        _sample_cuda_kernel[blocks(d["st_var"].size), threads](
            step, d["v"], d["ge"], d["gi"], d["st_var"], d["st_idx"], d["st_every"],
            d["st_off"], d["st_count"], d["st_buf"])
    _update_cuda_kernel[blocks(n), threads](
        step, seed, d["v"], d["ge"], d["gi"], d["ref"], d["i_bias"], d["spiked"], d["seg_hi"],
        d["seg_code"], d["seg_prm"], d["cur_lo"], d["cur_hi"], d["cur_vptr"], d["cur_values"],
        d["cur_rows"], d["cur_cols"], d["cur_ratio"])
    if d["p_fire"].size:
        _poisson_sources_cuda_kernel[blocks(d["p_fire"].size), threads](
            step, seed, n, d["p_fire"], d["fired"])
    if gen_hi > gen_lo:
        _generator_cuda_kernel[blocks(gen_hi - gen_lo), threads](n, d["fired"], d["gen_source"],
                                                                 gen_lo, gen_hi)
    _propagate_cuda_kernel[blocks(d["indptr"].size - 1), threads](
        step, row, n, d["spiked"], d["fired"], d["indptr"], d["target"], d["weight"], d["delay"],
        d["buffer"], d["mask"], d["spike_i"], d["spike_step"], d["counters"], d["rate_lo"],
        d["rate_hi"], d["rate_buf"])
    slot = step % d["buffer"].shape[0]
    if d["d_lo"].size:
        _drives_cuda_kernel[blocks(n), threads](
            step, seed, slot, n, d["buffer"], d["d_lo"], d["d_hi"], d["d_channel"],
            d["d_weight"], d["d_lam"], d["d_p0"], d["d_sub"], d["d_kmax"])
    _apply_cuda_kernel[blocks(n), threads](slot, d["v"], d["ge"], d["gi"], d["ref"], d["spiked"],
                                           d["buffer"], d["seg_hi"], d["seg_code"])


def steps_fused_cuda(d, seed, step0, row0, n_steps, gen_ptr, blocks, threads):
    """Run ``n_steps`` steps in one cooperative launch of ``blocks`` (from
    :func:`fused_blocks`); ``gen_ptr`` on the device holds the generator-spike range of
    each step (``n_steps + 1`` entries)."""
    _fused_cuda_kernel[blocks, threads](*_fused_args(d, seed, step0, row0, n_steps, gen_ptr))


def _fused_args(d, seed, step0, row0, n_steps, gen_ptr):
    return (step0, row0, n_steps, seed, d["v"], d["ge"], d["gi"], d["ref"], d["i_bias"],
            d["spiked"], d["seg_hi"], d["seg_code"], d["seg_prm"], d["cur_lo"], d["cur_hi"],
            d["cur_vptr"], d["cur_values"], d["cur_rows"], d["cur_cols"], d["cur_ratio"],
            d["st_var"], d["st_idx"], d["st_every"], d["st_off"], d["st_count"], d["st_buf"],
            d["p_fire"], d["fired"], d["gen_source"], gen_ptr, d["indptr"], d["target"],
            d["weight"], d["delay"], d["buffer"], d["mask"], d["spike_i"], d["spike_step"],
            d["counters"], d["rate_lo"], d["rate_hi"], d["rate_buf"], d["d_lo"], d["d_hi"],
            d["d_channel"], d["d_weight"], d["d_lam"], d["d_p0"], d["d_sub"], d["d_kmax"])


def fused_blocks(d, seed, gen_ptr, threads):
    """Compile the fused kernel for these arrays (at the first call) and return its grid:
    enough blocks for one element per thread, but no more than can be resident on the
    GPU at once, which a grid-wide barrier needs. Once per chunk, not per launch: the
    argument typing and the occupancy query cost about as much as a launch."""
    elements = max(d["v"].size, d["indptr"].size - 1, d["st_var"].size)
    if simulator_enabled():
        return 1                    # the simulator synchronises one block only
    args = _fused_args(d, seed, 0, 0, 0, gen_ptr)
    compiled = _fused_cuda_kernel.compile(tuple(_fused_cuda_kernel.typeof_pyval(a)
                                                for a in args))
    resident = compiled.max_cooperative_grid_blocks(threads)
    return max(1, min(resident, -(-elements // threads)))
