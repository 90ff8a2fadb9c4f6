"""The time step on an NVIDIA GPU (numba.cuda), in the same schedule as the CPU loop.

The neuron update calls the same scalar rules as the CPU (``_lif_update`` ...
compiled as device functions), randomness comes from the same counter-based
generator, and synaptic input is summed with int64 atomics in fixed point, so
the order in which threads add does not change a single bit. Spikes are
recorded on the device with an atomic counter and sorted by (step, index) on
the host, which makes the record identical to the CPU one.

A step has two phases, each a loop of device functions over its elements:

* **fire**: every thread samples, updates and thresholds its own neurons and draws
  its Poisson sources; a neuron or source that fires is recorded and appended to
  the step's list of firing sources (an atomic counter; the list alternates
  between two buffers from step to step, so that it can be reset without a
  barrier of its own);
* **deliver**: groups of ``group`` threads (a warp up to a block, chosen from the
  mean out-degree) take the firing sources one by one and add their rows into the
  delay ring buffer, the synapses of one row spread over the group's threads.

The slot of the ring buffer that a step fills last (its Poisson drives, and the
rows of zero delay) is applied to a neuron at the start of the next *fire* by the
thread that then samples and updates that neuron, so a step needs two grid-wide
barriers and no more. Two launch modes run the phases:

* ``steps_fused_cuda``: one cooperative launch runs many steps, with a grid-wide
  barrier (``cuda.cg.this_grid().sync()``) between phases and as many blocks as the
  GPU holds at once. Numba's launch overhead (tens of microseconds per launch with
  this many arguments) is paid once per chunk instead of once per phase.
* ``step_cuda``: one launch per phase and step. The simulator runs cooperative
  grids of one block only, so the tests use this mode to run every phase over
  several blocks.

Generator spikes set a flag per source one phase ahead (in the previous step's
*deliver*, or before the first step of a launch), which the source's own thread
reads and clears in *fire*, as the CPU loop does.
"""
from ._cuda import cuda, simulator_enabled
from ._layout import LIF_COND, LIF_DELTA, MCCULLOCH_PITTS
from . import elements
from .lif import _lif_update
from .lif_cond import _lif_cond_update
from .mcculloch_pitts import _mcculloch_pitts_update

# registers per thread of the fused kernel: 136 without a limit allowed one block of 256
# threads per SM of an H100 (12.5 % occupancy, every phase waiting on memory latency)
FUSED_MAX_REGISTERS = 64

if cuda is not None:
    # the GPU twins of the CPU's scalar rules: the same Python source, compiled twice
    lif_update_cuda = cuda.jit(device=True)(_lif_update)
    lif_cond_update_cuda = cuda.jit(device=True)(_lif_cond_update)
    mcculloch_pitts_update_cuda = cuda.jit(device=True)(_mcculloch_pitts_update)
    # and of the step's other elements
    injected_current = cuda.jit(device=True)(elements._injected_current)
    drive_events = cuda.jit(device=True)(elements._drive_events)
    source_fires = cuda.jit(device=True)(elements._source_fires)
    sample = cuda.jit(device=True)(elements._sample)
    receive_synaptic = cuda.jit(device=True)(elements._receive_synaptic)
    receive_delta = cuda.jit(device=True)(elements._receive_delta)

    # ------------------------------------------------ phases, one element each
    @cuda.jit(device=True)
    def _emit(g, step, row, par, fire_list, fire_count, mask, spike_i, spike_step, counters,
              rate_lo, rate_hi, rate_buf):
        """Source ``g`` fired: record it and append it to the step's firing list."""
        fire_list[par, cuda.atomic.add(fire_count, par, 1)] = g
        if mask[g]:
            pos = cuda.atomic.add(counters, 0, 1)
            if pos < spike_i.size:
                spike_i[pos] = g
                spike_step[pos] = step
        for r in range(rate_lo.size):
            if rate_lo[r] <= g < rate_hi[r]:
                cuda.atomic.add(rate_buf, (row, r), 1)

    @cuda.jit(device=True)
    def _sample_neuron(k, step, v, ge, gi, st_nptr, st_ncol, st_var, st_every, st_off,
                       st_count, st_buf):
        # the recorded columns of neuron k (st_nptr/st_ncol: columns grouped by neuron)
        for j in range(st_nptr[k], st_nptr[k + 1]):
            c = st_ncol[j]
            if step % st_every[c] == 0:
                st_buf[st_off[c] + st_count[c]] = sample(st_var[c], k, v, ge, gi)
                st_count[c] += 1

    @cuda.jit(device=True)
    def _update_one(k, step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code, seg_prm,
                    cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols, cur_ratio):
        i_ext = injected_current(k, step, i_bias[k], cur_lo, cur_hi, cur_vptr, cur_values,
                                 cur_rows, cur_cols, cur_ratio)
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
        return e

    @cuda.jit(device=True)
    def _source_fires(s, step, seed, n, p_fire, fired):
        """Whether source ``s`` fires (a generator's flag, cleared here, or a Poisson draw)."""
        fire = source_fires(n + s, fired[s], p_fire[s], seed, step)
        fired[s] = False
        return fire

    @cuda.jit(device=True)
    def _deliver_row(g, step, lane, group, indptr, target, weight, delay, buffer):
        depth = buffer.shape[0]
        for q in range(indptr[g] + lane, indptr[g + 1], group):
            cuda.atomic.add(buffer, ((step + delay[q]) % depth, target[q]), weight[q])

    @cuda.jit(device=True)
    def _drive_one(k, step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0,
                   d_sub, d_kmax):
        # one thread owns neuron k's accumulators in this phase: plain additions are safe
        for d in range(d_lo.size):
            if d_lo[d] <= k < d_hi[d]:
                count = drive_events(d, k - d_lo[d], seed, step, d_lam, d_p0, d_sub, d_kmax)
                if count > 0:
                    buffer[slot, d_channel[d] * n + k] += count * d_weight[d]

    @cuda.jit(device=True)
    def _apply_one(k, slot, n, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code):
        g = 0
        while k >= seg_hi[g]:
            g += 1
        if seg_code[g] == LIF_DELTA:
            v[k] = receive_delta(v[k], ref[k], spiked[k], buffer[slot, k], buffer[slot, n + k])
        else:
            ge[k] = receive_synaptic(ge[k], buffer[slot, k])
            gi[k] = receive_synaptic(gi[k], buffer[slot, n + k])
        buffer[slot, k] = 0
        buffer[slot, n + k] = 0

    # ------------------------------------------------- the two phases, grid-wide
    @cuda.jit(device=True)
    def _fire_phase(t, width, step, row, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code,
                    seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols, cur_ratio,
                    st_nptr, st_ncol, st_var, st_every, st_off, st_count, st_buf, p_fire, fired,
                    fire_list, fire_count, mask, spike_i, spike_step, counters, rate_lo, rate_hi,
                    rate_buf):
        n = v.size
        par = step % 2
        if t == 0:                 # the other list was read in the last step's deliver
            fire_count[1 - par] = 0
        for k in range(t, n, width):
            _sample_neuron(k, step, v, ge, gi, st_nptr, st_ncol, st_var, st_every, st_off,
                           st_count, st_buf)
            if _update_one(k, step, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code,
                           seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols,
                           cur_ratio):
                _emit(k, step, row, par, fire_list, fire_count, mask, spike_i, spike_step,
                      counters, rate_lo, rate_hi, rate_buf)
        for s in range(t, p_fire.size, width):
            if _source_fires(s, step, seed, n, p_fire, fired):
                _emit(n + s, step, row, par, fire_list, fire_count, mask, spike_i, spike_step,
                      counters, rate_lo, rate_hi, rate_buf)

    @cuda.jit(device=True)
    def _deliver_phase(t, width, group, step, fire_list, fire_count, indptr, target, weight,
                       delay, buffer):
        par = step % 2
        for j in range(t // group, fire_count[par], width // group):
            _deliver_row(fire_list[par, j], step, t % group, group, indptr, target, weight, delay,
                         buffer)

    @cuda.jit(device=True)
    def _apply_phase(t, width, step, seed, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code,
                     d_lo, d_hi, d_channel, d_weight, d_lam, d_p0, d_sub, d_kmax):
        n = v.size
        slot = step % buffer.shape[0]
        for k in range(t, n, width):
            _drive_one(k, step, seed, slot, n, buffer, d_lo, d_hi, d_channel, d_weight, d_lam,
                       d_p0, d_sub, d_kmax)
            _apply_one(k, slot, n, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code)

    @cuda.jit(device=True)
    def _flag_generators(t, width, n, fired, gen_source, gen_lo, gen_hi):
        for m in range(gen_lo + t, gen_hi, width):
            fired[gen_source[m] - n] = True

    # ------------------------------------------------- one launch per phase
    @cuda.jit
    def _generators_kernel(n, fired, gen_source, gen_lo, gen_hi):
        _flag_generators(cuda.grid(1), cuda.gridsize(1), n, fired, gen_source, gen_lo, gen_hi)

    @cuda.jit
    def _fire_kernel(step, row, seed, v, ge, gi, ref, i_bias, spiked, seg_hi, seg_code, seg_prm,
                     cur_lo, cur_hi, cur_vptr, cur_values, cur_rows, cur_cols, cur_ratio,
                     st_nptr, st_ncol, st_var, st_every, st_off, st_count, st_buf, p_fire, fired,
                     fire_list, fire_count, mask, spike_i, spike_step, counters, rate_lo, rate_hi,
                     rate_buf):
        _fire_phase(cuda.grid(1), cuda.gridsize(1), step, row, seed, v, ge, gi, ref, i_bias,
                    spiked, seg_hi, seg_code, seg_prm, cur_lo, cur_hi, cur_vptr, cur_values,
                    cur_rows, cur_cols, cur_ratio, st_nptr, st_ncol, st_var, st_every, st_off,
                    st_count, st_buf, p_fire, fired, fire_list, fire_count, mask, spike_i,
                    spike_step, counters, rate_lo, rate_hi, rate_buf)

    @cuda.jit
    def _deliver_kernel(group, step, fire_list, fire_count, indptr, target, weight, delay,
                        buffer):
        _deliver_phase(cuda.grid(1), cuda.gridsize(1), group, step, fire_list, fire_count,
                       indptr, target, weight, delay, buffer)

    @cuda.jit
    def _apply_kernel(step, seed, v, ge, gi, ref, spiked, buffer, seg_hi, seg_code, d_lo, d_hi,
                      d_channel, d_weight, d_lam, d_p0, d_sub, d_kmax):
        _apply_phase(cuda.grid(1), cuda.gridsize(1), step, seed, v, ge, gi, ref, spiked, buffer,
                     seg_hi, seg_code, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0, d_sub,
                     d_kmax)

    # ------------------------------------------- many steps in one launch
    # (the simulator's cuda.jit takes no register limit)
    @cuda.jit(**({} if simulator_enabled() else dict(max_registers=FUSED_MAX_REGISTERS)))
    def _fused_cuda_kernel(step0, row0, n_steps, seed, group, v, ge, gi, ref, i_bias,
                           spiked, seg_hi, seg_code, seg_prm, cur_lo, cur_hi, cur_vptr,
                           cur_values, cur_rows, cur_cols, cur_ratio, st_nptr, st_ncol, st_var,
                           st_every, st_off, st_count, st_buf, p_fire, fired, gen_source,
                           gen_ptr, fire_list, fire_count, indptr, target, weight, delay, buffer,
                           mask, spike_i, spike_step, counters, rate_lo, rate_hi, rate_buf, d_lo,
                           d_hi, d_channel, d_weight, d_lam, d_p0, d_sub, d_kmax):
        grid = cuda.cg.this_grid()
        t, width = cuda.grid(1), cuda.gridsize(1)
        n = v.size
        _flag_generators(t, width, n, fired, gen_source, gen_ptr[0], gen_ptr[1])
        grid.sync()
        for i in range(n_steps):
            step = step0 + i
            if i > 0:              # the last step's input, applied by the thread that updates
                _apply_phase(t, width, step - 1, seed, v, ge, gi, ref, spiked, buffer, seg_hi,
                             seg_code, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0, d_sub,
                             d_kmax)
            _fire_phase(t, width, step, row0 + i, seed, v, ge, gi, ref, i_bias, spiked, seg_hi,
                        seg_code, seg_prm, cur_lo, cur_hi, cur_vptr, cur_values, cur_rows,
                        cur_cols, cur_ratio, st_nptr, st_ncol, st_var, st_every, st_off,
                        st_count, st_buf, p_fire, fired, fire_list, fire_count, mask, spike_i,
                        spike_step, counters, rate_lo, rate_hi, rate_buf)
            grid.sync()
            _deliver_phase(t, width, group, step, fire_list, fire_count, indptr, target, weight,
                           delay, buffer)
            if i + 1 < n_steps:
                _flag_generators(t, width, n, fired, gen_source, gen_ptr[i + 1], gen_ptr[i + 2])
            grid.sync()
        if n_steps > 0:
            _apply_phase(t, width, step0 + n_steps - 1, seed, v, ge, gi, ref, spiked, buffer,
                         seg_hi, seg_code, d_lo, d_hi, d_channel, d_weight, d_lam, d_p0, d_sub,
                         d_kmax)


# the device arrays each launch takes, in the order of the kernels' parameters
_STATE = ("v", "ge", "gi", "ref", "i_bias", "spiked", "seg_hi", "seg_code", "seg_prm", "cur_lo",
          "cur_hi", "cur_vptr", "cur_values", "cur_rows", "cur_cols", "cur_ratio", "st_nptr",
          "st_ncol", "st_var", "st_every", "st_off", "st_count", "st_buf", "p_fire", "fired")
_RECORD = ("mask", "spike_i", "spike_step", "counters", "rate_lo", "rate_hi", "rate_buf")
_DELIVER = ("fire_list", "fire_count", "indptr", "target", "weight", "delay", "buffer")
_APPLY = ("v", "ge", "gi", "ref", "spiked", "buffer", "seg_hi", "seg_code", "d_lo", "d_hi",
          "d_channel", "d_weight", "d_lam", "d_p0", "d_sub", "d_kmax")


def _pick(d, names):
    return tuple(d[k] for k in names)


def step_cuda(d, seed, step, row, gen_lo, gen_hi, blocks, threads, group):
    """Launch the phases of one step, each over the whole grid (``d``: device arrays;
    ``blocks(n)``: the grid for ``n`` elements)."""
    n = d["v"].size
    if gen_hi > gen_lo:
        _generators_kernel[blocks(gen_hi - gen_lo), threads](n, d["fired"], d["gen_source"],
                                                             gen_lo, gen_hi)
    _fire_kernel[blocks(max(n, d["p_fire"].size)), threads](
        step, row, seed, *_pick(d, _STATE + ("fire_list", "fire_count") + _RECORD))
    _deliver_kernel[blocks(d["fire_list"].shape[1] * group), threads](
        group, step, *_pick(d, _DELIVER))
    _apply_kernel[blocks(n), threads](step, seed, *_pick(d, _APPLY))


def steps_fused_cuda(d, seed, step0, row0, n_steps, gen_ptr, blocks, threads, group):
    """Run ``n_steps`` steps in one cooperative launch of ``blocks`` (from
    :func:`fused_blocks`); ``gen_ptr`` on the device holds the generator-spike range of
    each step (``n_steps + 1`` entries)."""
    _fused_cuda_kernel[blocks, threads](*_fused_args(d, seed, step0, row0, n_steps, gen_ptr,
                                                     group))


def _fused_args(d, seed, step0, row0, n_steps, gen_ptr, group):
    return ((step0, row0, n_steps, seed, group) + _pick(d, _STATE)
            + (d["gen_source"], gen_ptr) + _pick(d, _DELIVER + _RECORD + _APPLY[8:]))


def fused_blocks(d, seed, gen_ptr, threads, group):
    """Compile the fused kernel for these arrays (at the first call) and return its grid:
    enough blocks for one element per thread, but no more than can be resident on the
    GPU at once, which a grid-wide barrier needs. Once per chunk, not per launch: the
    argument typing and the occupancy query cost about as much as a launch."""
    elements = max(d["v"].size, d["p_fire"].size, d["fire_list"].shape[1] * group)
    if simulator_enabled():
        return 1                    # the simulator synchronises one block only
    args = _fused_args(d, seed, 0, 0, 0, gen_ptr, group)
    compiled = _fused_cuda_kernel.compile(tuple(_fused_cuda_kernel.typeof_pyval(a)
                                                for a in args))
    resident = compiled.max_cooperative_grid_blocks(threads)
    return max(1, min(resident, -(-elements // threads)))


def delivery_group(indptr, threads):
    """Threads that deliver one firing source's row together: a power of two from a
    warp (32) to the block, about a quarter of the mean out-degree, so that a row of
    thousands of synapses (PD14: about 3,900) is spread over a block while rows of
    tens share a warp. Never more than ``threads``."""
    n_src = max(1, indptr.size - 1)
    mean = (indptr[-1] - indptr[0]) / n_src if indptr.size else 0.0
    group = 32
    while group < threads and group * 4 < mean:
        group *= 2
    return min(group, threads)
