"""The time step on an NVIDIA GPU (numba.cuda), in the same schedule as the CPU loop.

The neuron update calls the same scalar rules as the CPU (the models' kernels,
through ``_model_set_cuda``, compiled as device functions), randomness comes from
the same counter-based generator, and synaptic input is summed with int64 atomics
in fixed point, so the order in which threads add does not change a single bit. Spikes are
recorded on the device as bits, a row a step, which the host reads in the order of
(step, index), the CPU record's.

A step has two phases, each a loop of device functions over its elements:

* **fire**: every thread samples, updates and thresholds its own neurons and draws
  its Poisson sources; a neuron or source that fires is recorded and appended to
  the step's list of firing sources (an atomic counter; three lists take turns
  from step to step, so that one can be reset without a barrier of its own);
* **deliver**: the grid's threads share the synapses of the firing sources' rows,
  a synapse each in turn (each block finds which row a synapse is in from a prefix
  sum of the row lengths in shared memory), and add them into the delay ring
  buffer; the rows of procedural projections are drawn again, a thread a (firing
  source, projection) pair (``procedural_cuda``).

The slot of the ring buffer that a step fills last (its Poisson drives, and the
rows of zero delay) is applied to a neuron at the start of the next *fire* by the
thread that then samples and updates that neuron, so a step needs two grid-wide
barriers and no more; one, where every delay is at least a step: the last step's rows
are then delivered in the phase that fires this step, as none of them is due before
the next phase (``one_barrier``). Plastic synapses (``plasticity_cuda``) add their parts to
*fire* and *deliver* and two phases of their own after *deliver*, **pre** (the
spikes that arrive now) and **post** (the neurons' spikes), each behind a barrier:
four a step in a network with plastic synapses, and a fifth, **jump** (the traces
kept per neuron that *pre* and *post* read as they were), where some rules keep
their traces per neuron. Two launch modes run the phases:

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

The device arrays travel in the named tuples defined below, grouped as in the CPU
engine (``simulate``): ``Neurons``, ``Currents``, ``Drives``, ``Samples`` (the
state monitors), ``Sources``, ``Delivery`` (the firing lists, the synapses and
the ring buffer they fill) and ``Record`` (spikes and rates). A kernel takes a
few groups instead of some fifty arrays (numba flattens a tuple of arrays into
the launch's parameters, and the device functions read fields as ``nr.v``); the
element functions of the models and of ``elements`` take plain arrays, unpacked
at the call. The backend hands over its dict of device arrays, from which
``_groups`` builds the tuples.
"""
from collections import namedtuple

import numpy as np

from ._cuda import cuda, simulator_enabled
from ._layout import STREAM_POISSON_GROUP, STREAM_POISSON_INPUT
from ._model_set_cuda import receive_one, update_one
from ._rng import step_key
from .plasticity import Plastic
from .propagate import _synapse_weight
from .simulate import Drives
from . import elements
from . import plasticity_cuda
from . import procedural_cuda

# registers per thread of the fused kernel: 136 without a limit allowed one block of 256
# threads per SM of an H100 (12.5 % occupancy, every phase waiting on memory latency)
FUSED_MAX_REGISTERS = 64
# the most threads a block can have (CUDA's limit): the size of the delivery's scan
# in shared memory (8 kB a block), so that no launch writes past it
_MAX_BLOCK = 1024
# the firing lists, by step % _LISTS: a step fills its own while the phase delivers the
# last step's (one barrier a step) and clears the next step's
_LISTS = 3

# ---------------------------------------------------- the groups of device arrays
# the neurons' state and segments (aux: the models' extra state, one row each; a
# segment [seg_hi[g-1], seg_hi[g]) runs model seg_code[g] with parameters seg_prm[g])
Neurons = namedtuple("Neurons", "v ge gi ref aux i_bias spiked seg_hi seg_code seg_prm "
                                "seg_hoff nrn_prm")
# time-varying injected currents, as in simulate.Currents (and simulate.Drives)
Currents = namedtuple("Currents", "lo hi vptr values n_rows n_cols ratio")
# the state monitors' columns: column c samples variable var[c] of neuron or plastic
# synapse idx[c] every every[c] steps into buf[off[c] + count[c]]; ncol lists the
# neurons' columns grouped by neuron, those of neuron k in ncol[nptr[k]:nptr[k + 1]],
# scol the synapses' columns
Samples = namedtuple("Samples", "nptr ncol var every off count buf scol idx")
# Poisson sources (p_fire, in blocks: block_lo, thresholds; kernels.poisson_sources)
# and generator flags (fired, set from gen_source)
Sources = namedtuple("Sources", "p_fire fired gen_source block_lo thresholds")
# the step's firing sources (two lists, alternating by step), their rows of synapses
# and the delay ring buffer the rows are added into
Delivery = namedtuple("Delivery", "fire_list fire_count indptr target weight delay buffer "
                                   "weight_code")
# recorded spikes, a bit a source and a row a step (source g of step s: bit g % 32 of
# bits[s % rows, g // 32]), and population rates
Record = namedtuple("Record", "mask bits rate_lo rate_hi rate_buf")

# the procedural projections (procedural.Procedural without the CPU's scratch sizes),
# and keep: on an MPI GPU rank its own neurons (1; global numbering), whose synapses
# alone it adds (empty: every synapse)
ProceduralRows = namedtuple("ProceduralRows", "lo hi row0 excluded k code m add p_scale "
                                              "multapses seed streams w_kind w_prm d_kind "
                                              "d_prm d_div keep")

# the prefix of each group's keys in the backend's dict of device arrays
# (the plastic synapses: kernels.plasticity.Plastic, its fields prefixed "pl_"; the
# procedural projections' "pr_")
_KEYS = ((Neurons, ""), (Currents, "cur_"), (Drives, "d_"), (Samples, "st_"), (Sources, ""),
         (Delivery, ""), (Record, ""), (Plastic, "pl_"), (ProceduralRows, "pr_"))


def _groups(d):
    """The groups of the backend's device arrays ``d``:
    ``(nr, cur, drv, smp, src, dl, rec, pl, pr)``."""
    return tuple(cls(*(d[prefix + f] for f in cls._fields)) for cls, prefix in _KEYS)


if cuda is not None:
    # the GPU twins of the step's elements (the models' rules: _model_set_cuda)
    injected_current = cuda.jit(device=True)(elements._injected_current)
    drive_events = cuda.jit(device=True)(elements._drive_events)
    next_source = cuda.jit(device=True)(elements._next_source)
    sample = cuda.jit(device=True)(elements._sample)
    synapse_weight = cuda.jit(device=True)(_synapse_weight)

    # ------------------------------------------------ phases, one element each
    @cuda.jit(device=True)
    def _emit(g, step, row, par, dl, rec):
        """Source ``g`` fired: record it and append it to the step's firing list."""
        dl.fire_list[par, cuda.atomic.add(dl.fire_count, par, 1)] = g
        if rec.mask[g]:
            cuda.atomic.or_(rec.bits, (step % rec.bits.shape[0], g >> 5),
                            np.uint32(1) << np.uint32(g & 31))
        for r in range(rec.rate_lo.size):
            if rec.rate_lo[r] <= g < rec.rate_hi[r]:
                cuda.atomic.add(rec.rate_buf, (row, r), 1)

    @cuda.jit(device=True)
    def _sample_neuron(k, step, nr, smp):
        # the recorded columns of neuron k
        for j in range(smp.nptr[k], smp.nptr[k + 1]):
            c = smp.ncol[j]
            if step % smp.every[c] == 0:
                smp.buf[smp.off[c] + smp.count[c]] = sample(smp.var[c], k, nr.v, nr.ge, nr.gi,
                                                            nr.aux)
                smp.count[c] += 1

    @cuda.jit(device=True)
    def _first_above(a, n, x):
        """The first index of the ascending ``a[:n]`` whose value is above ``x`` (a
        binary search; ``n - 1`` when none is)."""
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if a[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        return lo

    @cuda.jit(device=True)
    def _update_one(k, step, seed, nr, cur):
        i_ext = injected_current(k, step, nr.i_bias[k], cur.lo, cur.hi, cur.vptr, cur.values,
                                 cur.n_rows, cur.n_cols, cur.ratio)
        # the segment that holds neuron k (a group with per-neuron parameters is a
        # segment per neuron)
        g = _first_above(nr.seg_hi, nr.seg_hi.size, k)
        return update_one(nr.seg_code[g], k, nr.v, nr.ge, nr.gi, nr.ref, nr.aux, nr.spiked,
                          nr.nrn_prm, nr.seg_hoff[g],
                          i_ext, nr.seg_prm[g], seed, step)

    @cuda.jit(device=True)
    def _sources_fire(b, step, seed, n, row, par, src, dl, rec):
        """The sources of block ``b`` that fire (a thread a block). A source whose
        probability is 0 in a chained block is another GPU's (an MPI rank's view):
        drawn, not emitted."""
        key = step_key(seed, STREAM_POISSON_GROUP, step)
        lo, hi = src.block_lo[b], src.block_lo[b + 1]
        s = next_source(lo - 1, lo, hi, b, src.thresholds, key, n, src.fired, src.p_fire)
        while s < hi:
            if src.p_fire[s] > 0.0 or src.fired[s]:
                _emit(n + s, step, row, par, dl, rec)
            s = next_source(s, lo, hi, b, src.thresholds, key, n, src.fired, src.p_fire)
        if src.thresholds[b, 0] < 0:        # spike generators: their flags are read
            for s in range(lo, hi):
                src.fired[s] = False

    @cuda.jit(device=True)
    def _deliver_rows(t, width, step, par, dl):
        """Add the rows of the step's firing sources into the ring buffer, spread over
        the whole grid: each block sums the row lengths of up to ``blockDim`` listed
        sources at a time (a prefix sum in shared memory, every block alike), and the
        grid's threads share the synapses of those rows, thread ``t`` taking synapses ``t``,
        ``t + width``, ... of their concatenation. A row is not walked by one thread or
        group, so a step with a few long rows (PD14: ~47 of ~3,900 synapses) keeps every
        thread busy. Each block reaches the same barriers: ``count`` is the same for all."""
        scan = cuda.shared.array(_MAX_BLOCK, np.int64)
        lane, size = cuda.threadIdx.x, cuda.blockDim.x
        depth = dl.buffer.shape[0]
        base = step % depth
        count = dl.fire_count[par]
        for first in range(0, count, size):
            length = 0
            if first + lane < count:
                g = dl.fire_list[par, first + lane]
                length = dl.indptr[g + 1] - dl.indptr[g]
            scan[lane] = length
            cuda.syncthreads()
            rows = min(size, count - first)
            # the prefix sum by one thread: two barriers a chunk instead of 2 log2(blockDim)
            # for a parallel scan; the simulator's tests pay for every barrier (which is
            # faster on a GPU is not measured: issue 35)
            if lane == 0:
                for r in range(1, rows):
                    scan[r] += scan[r - 1]
            cuda.syncthreads()
            for e in range(t, scan[rows - 1], width):
                r = _first_above(scan, rows, e)     # the row of synapse e
                g = dl.fire_list[par, first + r]
                q = dl.indptr[g] + e - (scan[r - 1] if r > 0 else 0)
                slot = base + dl.delay[q]   # a compare, not a % (delays < depth)
                if slot >= depth:
                    slot -= depth
                cuda.atomic.add(dl.buffer, (slot, dl.target[q]),
                                synapse_weight(dl.weight, dl.weight_code, q))
            if first + size < count:        # more rows: the sums are read before they
                cuda.syncthreads()          # are overwritten (the same for every thread)

    @cuda.jit(device=True)
    def _drive_one(k, step, seed, slot, n, buffer, drv):
        # one thread owns neuron k's accumulators in this phase: plain additions are safe
        for d in range(drv.lo.size):
            if drv.lo[d] <= k < drv.hi[d]:
                key = step_key(seed, STREAM_POISSON_INPUT + d, step)
                count = drive_events(d, k - drv.lo[d], key, drv.n_sub, drv.t_ptr, drv.g_ptr,
                                     drv.shift, drv.k_lo, drv.thresholds, drv.guide)
                if count > 0:
                    buffer[slot, drv.channel[d] * n + k] += count * drv.weight[d]

    @cuda.jit(device=True)
    def _apply_one(k, slot, n, nr, buffer):
        g = _first_above(nr.seg_hi, nr.seg_hi.size, k)     # neuron k's segment
        receive_one(nr.seg_code[g], k, slot, n, nr.v, nr.ge, nr.gi, nr.ref, nr.spiked, buffer)

    # ------------------------------------------------- the two phases, grid-wide
    @cuda.jit(device=True)
    def _fire_phase(t, width, step, row, seed, nr, cur, smp, src, dl, rec, pl):
        n = nr.v.size
        par = step % _LISTS
        if t == 0:    # the list of step - 2 (and step + 1): read by its deliver already
            dl.fire_count[(step + 1) % _LISTS] = 0
        plasticity_cuda.plastic_fire(t, width, step, smp, pl)
        for k in range(t, n, width):
            _sample_neuron(k, step, nr, smp)
            if _update_one(k, step, seed, nr, cur):
                _emit(k, step, row, par, dl, rec)
        for b in range(t, src.block_lo.size - 1, width):
            _sources_fire(b, step, seed, n, row, par, src, dl, rec)

    @cuda.jit(device=True)
    def _deliver_phase(t, width, step, dl, pl, pr):
        par = step % _LISTS
        _deliver_rows(t, width, step, par, dl)
        procedural_cuda.procedural_deliver(t, width, step, par, dl, pr)
        plasticity_cuda.plastic_deliver(t, width, step, par, dl, pl)

    @cuda.jit(device=True)
    def _apply_phase(t, width, step, seed, nr, drv, buffer):
        n = nr.v.size
        slot = step % buffer.shape[0]
        for k in range(t, n, width):
            _drive_one(k, step, seed, slot, n, buffer, drv)
            _apply_one(k, slot, n, nr, buffer)

    @cuda.jit(device=True)
    def _clear_spikes(t, width, step0, n_steps, rec):
        # the spike bits of the launch's steps, before it starts (read by the host after)
        rows, cols = rec.bits.shape
        for j in range(t, n_steps * cols, width):
            rec.bits[(step0 + j // cols) % rows, j % cols] = 0

    @cuda.jit(device=True)
    def _flag_generators(t, width, n, src, gen_lo, gen_hi):
        for m in range(gen_lo + t, gen_hi, width):
            src.fired[src.gen_source[m] - n] = True

    # ------------------------------------------------- one launch per phase
    @cuda.jit
    def _clear_kernel(step0, n_steps, rec):
        _clear_spikes(cuda.grid(1), cuda.gridsize(1), step0, n_steps, rec)

    @cuda.jit
    def _generators_kernel(n, src, gen_lo, gen_hi):
        _flag_generators(cuda.grid(1), cuda.gridsize(1), n, src, gen_lo, gen_hi)

    @cuda.jit
    def _fire_kernel(step, row, seed, nr, cur, smp, src, dl, rec, pl):
        _fire_phase(cuda.grid(1), cuda.gridsize(1), step, row, seed, nr, cur, smp, src, dl, rec,
                    pl)

    @cuda.jit
    def _deliver_kernel(step, dl, pl, pr):
        _deliver_phase(cuda.grid(1), cuda.gridsize(1), step, dl, pl, pr)

    @cuda.jit
    def _pre_kernel(group, step, dl, pl):
        plasticity_cuda.plastic_pre(cuda.grid(1), cuda.gridsize(1), group, step,
                                    step % _LISTS, dl, pl)

    @cuda.jit
    def _post_kernel(group, step, n, dl, pl):
        plasticity_cuda.plastic_post(cuda.grid(1), cuda.gridsize(1), group, step,
                                     step % _LISTS, n, dl, pl)

    @cuda.jit
    def _jump_kernel(step, n, dl, pl):
        plasticity_cuda.plastic_jump(cuda.grid(1), cuda.gridsize(1), step, step % _LISTS, n, dl,
                                     pl)

    @cuda.jit
    def _apply_kernel(step, seed, nr, drv, buffer):
        _apply_phase(cuda.grid(1), cuda.gridsize(1), step, seed, nr, drv, buffer)

    # ------------------------------------------- many steps in one launch
    @cuda.jit(device=True)
    def _steps_one_barrier(t, width, step0, row0, n_steps, seed, nr, cur, smp, src, dl,
                           rec, drv, pl, pr):
        """The steps of a launch with one grid-wide barrier each, where every delay is at
        least one step (and no synapse is plastic, and no generator fires after the
        launch's first step): the rows of step s - 1 are delivered in the phase that fires
        step s. They fill slots s - 1 + delay, never slot s - 1, which that phase applies
        (the ring is one slot deeper than the longest delay), and the earliest of them is
        applied in the next phase, behind the barrier. The phase reads the firing list
        of step s - 1 while step s fills its own and clears that of step s + 1 (three
        lists, by step % 3)."""
        grid = cuda.cg.this_grid()
        for i in range(n_steps):
            step = step0 + i
            if i > 0:
                _apply_phase(t, width, step - 1, seed, nr, drv, dl.buffer)
            _fire_phase(t, width, step, row0 + i, seed, nr, cur, smp, src, dl, rec, pl)
            if i > 0:
                _deliver_phase(t, width, step - 1, dl, pl, pr)
            grid.sync()
        if n_steps > 0:
            last = step0 + n_steps - 1
            _apply_phase(t, width, last, seed, nr, drv, dl.buffer)
            _deliver_phase(t, width, last, dl, pl, pr)

    # (the simulator's cuda.jit takes no register limit)
    @cuda.jit(**({} if simulator_enabled() else dict(max_registers=FUSED_MAX_REGISTERS)))
    def _fused_cuda_kernel(step0, row0, n_steps, seed, nr, cur, smp, src, gen_ptr, dl, rec, drv,
                           pl, pgroup, pr, one_barrier):
        grid = cuda.cg.this_grid()
        t, width = cuda.grid(1), cuda.gridsize(1)
        n = nr.v.size
        plastic = pl.w.size > 0     # the same in every thread: all meet the extra barriers
        by_neuron = plastic and pl.slot_rule.size > 0
        _flag_generators(t, width, n, src, gen_ptr[0], gen_ptr[1])
        _clear_spikes(t, width, step0, n_steps, rec)
        grid.sync()
        if one_barrier:
            _steps_one_barrier(t, width, step0, row0, n_steps, seed, nr, cur, smp, src,
                               dl, rec, drv, pl, pr)
            return
        for i in range(n_steps):
            step = step0 + i
            if i > 0:              # the last step's input, applied by the thread that updates
                _apply_phase(t, width, step - 1, seed, nr, drv, dl.buffer)
            _fire_phase(t, width, step, row0 + i, seed, nr, cur, smp, src, dl, rec, pl)
            grid.sync()
            _deliver_phase(t, width, step, dl, pl, pr)
            if plastic:             # arrivals after the queue and catch-ups, posts after them
                grid.sync()
                plasticity_cuda.plastic_pre(t, width, pgroup, step, step % _LISTS, dl, pl)
                grid.sync()
                plasticity_cuda.plastic_post(t, width, pgroup, step, step % _LISTS, n, dl, pl)
            if by_neuron:           # neuron traces jump once pre and post have read them
                grid.sync()
                plasticity_cuda.plastic_jump(t, width, step, step % _LISTS, n, dl, pl)
            if i + 1 < n_steps:
                _flag_generators(t, width, n, src, gen_ptr[i + 1], gen_ptr[i + 2])
            grid.sync()
        if n_steps > 0:
            _apply_phase(t, width, step0 + n_steps - 1, seed, nr, drv, dl.buffer)


def clear_spikes(d, step0, n_steps, threads):
    """Zero the spike bits of steps ``step0`` to ``step0 + n_steps`` before they are run
    by :func:`step_cuda` (a fused launch zeroes its own)."""
    _clear_kernel[2, threads](step0, n_steps, Record(*(d[f] for f in Record._fields)))


def step_cuda(d, seed, step, row, gen_lo, gen_hi, blocks, threads, pgroup):
    """Launch the phases of one step, each over the whole grid (``d``: device arrays;
    ``blocks(n)``: the grid for ``n`` elements; ``pgroup``: the threads that share a
    row of plastic synapses)."""
    nr, cur, drv, smp, src, dl, rec, pl, pr = _groups(d)
    n = nr.v.size
    if gen_hi > gen_lo:
        _generators_kernel[blocks(gen_hi - gen_lo), threads](n, src, gen_lo, gen_hi)
    _fire_kernel[blocks(max(n, src.p_fire.size, smp.scol.size)), threads](
        step, row, seed, nr, cur, smp, src, dl, rec, pl)
    # two blocks, whose threads stride over the synapses: this mode serves the
    # simulator's tests, which pay for every thread and every barrier of every block
    _deliver_kernel[2, threads](step, dl, pl, pr)
    if pl.w.size:
        _pre_kernel[blocks(pl.queue.shape[1]), threads](pgroup, step, dl, pl)
        _post_kernel[blocks(n), threads](pgroup, step, n, dl, pl)
        if pl.slot_rule.size:
            _jump_kernel[blocks(n), threads](step, n, dl, pl)
    _apply_kernel[blocks(n), threads](step, seed, nr, drv, dl.buffer)


def steps_fused_cuda(d, seed, step0, row0, n_steps, gen_ptr, blocks, threads, pgroup,
                     one_barrier, stream=0):
    """Run ``n_steps`` steps in one cooperative launch of ``blocks`` (from
    :func:`fused_blocks`) on ``stream``; ``gen_ptr`` on the device holds the
    generator-spike range of each step (``n_steps + 1`` entries); ``one_barrier`` (from
    :func:`one_barrier`): a grid-wide barrier a step instead of two."""
    _fused_cuda_kernel[blocks, threads, stream](*_fused_args(d, seed, step0, row0, n_steps,
                                                             gen_ptr, pgroup, one_barrier))


def one_barrier(min_delay, plastic, gen_steps):
    """Whether a launch may run its steps with one grid-wide barrier each: every delay
    is at least a step (``min_delay``: the network's shortest, in steps, None without
    synapses), no synapse is ``plastic`` (their phases have barriers of their own), and
    no generator spike falls after the launch's first step (``gen_steps``: the
    generator spikes of each of its steps; flags are set a phase ahead, which would
    then be the phase that reads them)."""
    return (min_delay is None or min_delay >= 1) and not plastic and not np.any(gen_steps[1:])


def _fused_args(d, seed, step0, row0, n_steps, gen_ptr, pgroup, one_barrier=False):
    nr, cur, drv, smp, src, dl, rec, pl, pr = _groups(d)
    return (step0, row0, n_steps, seed, nr, cur, smp, src, gen_ptr, dl, rec, drv, pl, pgroup,
            pr, one_barrier)


def fused_blocks(d, seed, gen_ptr, threads, pgroup):
    """Compile the fused kernel for these arrays (at the first call) and return its grid:
    enough blocks for one element per thread, but no more than can be resident on the
    GPU at once, which a grid-wide barrier needs. Once per chunk, not per launch: the
    argument typing and the occupancy query cost about as much as a launch."""
    elements = max(d["v"].size, d["p_fire"].size, d["target"].size,
                   d["pl_w"].size, d["pl_queue"].shape[1] * pgroup,
                   d["fire_list"].shape[1] * d["pr_lo"].size)
    if simulator_enabled():
        return 1                    # the simulator synchronises one block only
    args = _fused_args(d, seed, 0, 0, 0, gen_ptr, pgroup)
    # a group is typed as a named tuple of arrays, which the launch flattens
    compiled = _fused_cuda_kernel.compile(tuple(_fused_cuda_kernel.typeof_pyval(a)
                                                for a in args))
    resident = compiled.max_cooperative_grid_blocks(threads)
    return max(1, min(resident, -(-elements // threads)))


def delivery_group(indptr, threads):
    """Threads that treat one firing source's row of plastic synapses together
    (``plasticity_cuda``): a power of two from a warp (32) to the block, about a
    quarter of the mean out-degree, so that a row of thousands of synapses is spread
    over a block while rows of tens share a warp. Never more than ``threads``."""
    n_src = max(1, indptr.size - 1)
    mean = (indptr[-1] - indptr[0]) / n_src if indptr.size else 0.0
    group = 32
    while group < threads and group * 4 < mean:
        group *= 2
    return min(group, threads)
