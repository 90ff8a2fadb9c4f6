"""Atomic operations on int64 array elements, and a barrier on them, for numba CPU code.

Numba has no CPU atomics; these are LLVM's (``atomicrmw``, ``cmpxchg`` and an atomic
load, all sequentially consistent), emitted by ``numba.extending.intrinsic``. A
sequentially consistent operation also orders the plain loads and stores around it,
so what one thread wrote before it arrives at a barrier is visible to every thread
after the barrier.

Waiting spins briefly, then yields the core (``sched_yield``; ``SwitchToThread`` on
Windows) on every further check: on a machine with more runnable threads than cores,
a thread that only spun would burn the time slice of the thread it waits for.
"""
import sys

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["atomic_add", "atomic_load", "atomic_cas", "barrier", "wait_at_least",
           "cpu_yield"]

# checks of a flag before a waiting thread starts to yield its core: about a
# microsecond on an idle machine, where a barrier's partner arrives within that
SPINS = 2000
_YIELD = "SwitchToThread" if sys.platform == "win32" else "sched_yield"


def _element_pointer(context, builder, array_type, array, index_type, index):
    ary = context.make_array(array_type)(context, builder, array)
    index = context.cast(builder, index, index_type, types.intp)
    return cgutils.get_item_pointer(context, builder, array_type, ary, [index],
                                    wraparound=False, boundscheck=False)


def _is_int64_vector(a):
    return isinstance(a, types.Array) and a.dtype == types.int64 and a.ndim == 1


@intrinsic
def atomic_add(typingctx, array, index, value):
    """``array[index] += value`` atomically; returns the value before the addition."""
    if not (_is_int64_vector(array) and isinstance(index, types.Integer)
            and isinstance(value, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        add = context.cast(builder, args[2], sig.args[2], types.int64)
        return builder.atomic_rmw("add", ptr, add, "seq_cst")
    return types.int64(array, index, value), codegen


@intrinsic
def atomic_load(typingctx, array, index):
    """``array[index]``, read atomically."""
    if not (_is_int64_vector(array) and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        return builder.load_atomic(ptr, "seq_cst", 8)
    return types.int64(array, index), codegen


@intrinsic
def atomic_cas(typingctx, array, index, expected, new):
    """Set ``array[index]`` to ``new`` if it holds ``expected``, atomically; returns the
    value it held (equal to ``expected`` where the exchange took place)."""
    if not (_is_int64_vector(array) and isinstance(index, types.Integer)
            and isinstance(expected, types.Integer) and isinstance(new, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        old = context.cast(builder, args[2], sig.args[2], types.int64)
        val = context.cast(builder, args[3], sig.args[3], types.int64)
        pair = builder.cmpxchg(ptr, old, val, "seq_cst", "seq_cst")
        return builder.extract_value(pair, 0)
    return types.int64(array, index, expected, new), codegen


@intrinsic
def cpu_yield(typingctx):
    """Give the core to another runnable thread (the operating system's yield)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []),
                                            _YIELD)
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.none(), codegen


@njit(cache=True)
def wait_at_least(flags, index, target):
    """Wait until ``flags[index] >= target``: spin :data:`SPINS` checks, then yield the
    core between checks."""
    spins = 0
    while atomic_load(flags, index) < target:
        spins += 1
        if spins > SPINS:
            cpu_yield()


@njit(cache=True)
def barrier(flags, index, n_threads, generation):
    """The ``generation``-th barrier (1, 2, ...) of ``n_threads`` threads on the counter
    ``flags[index]``, which starts at 0 and only grows: no reset, so no race between
    one barrier's last arrival and the next barrier's first."""
    atomic_add(flags, index, 1)
    wait_at_least(flags, index, n_threads * generation)
