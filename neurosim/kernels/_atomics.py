"""Atomic operations on int64 array elements, and a barrier on them, for numba CPU code.

Numba has no CPU atomics; these are LLVM's (``atomicrmw``, ``cmpxchg`` and an atomic
load, all sequentially consistent), emitted by ``numba.extending.intrinsic``. A
sequentially consistent operation also orders the plain loads and stores around it,
so what one thread wrote before it arrives at a barrier is visible to every thread
after the barrier.

A waiting thread spins briefly, then sleeps until the last thread to arrive wakes it
(Linux's futex, on x86-64 and aarch64; elsewhere it yields its core between checks).
On a machine with more runnable threads than cores, a waiting thread that spins, or
only yields (which gives the core to threads of its own run queue alone), takes the
time of the thread it waits for: CUBA 16k on 2 threads ran 7.6x slower than on one at
a load average of 5 on 2 cores with yields, against 37x with OpenMP's spinning.
"""
import platform
import sys

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["atomic_add", "atomic_load", "atomic_cas", "barrier", "cpu_yield", "seconds_now"]

# checks of the counter before a waiting thread sleeps (some microseconds): on an
# idle machine the other threads mostly arrive within that, and waking a sleeper
# costs more than the spin
SPINS = 30000
_YIELD = "SwitchToThread" if sys.platform == "win32" else "sched_yield"
# the futex system call's number, where we know it (else waiting threads yield)
_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine()) \
    if sys.platform.startswith("linux") else None
_FUTEX_WAIT, _FUTEX_WAKE = 128, 129        # the _PRIVATE operations: one process


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


@intrinsic
def seconds_now(typingctx):
    """The C library's ``time(NULL)``: seconds, for timeouts of a second or more."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64.as_pointer()]),
            "_time64" if sys.platform == "win32" else "time")
        return builder.call(fn, [ir.Constant(i64.as_pointer(), None)])
    return types.int64(), codegen


@intrinsic
def _futex(typingctx, array, index, op, value):
    """``syscall(SYS_futex, &array[index], op, value, NULL, NULL, 0)`` on the low 32
    bits of the element (little-endian)."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64], var_arg=True), "syscall")
        zero = ir.Constant(i64, 0)
        builder.call(fn, [ir.Constant(i64, _SYS_FUTEX), builder.ptrtoint(ptr, i64),
                          context.cast(builder, args[2], sig.args[2], types.int64),
                          context.cast(builder, args[3], sig.args[3], types.int64),
                          zero, zero, zero])
        return context.get_dummy_value()
    return types.none(array, index, op, value), codegen


@njit(cache=True)
def _sleep_futex(flags, index, seen):
    # returns at once if the counter no longer holds `seen`: no wake-up is lost
    _futex(flags, index, _FUTEX_WAIT, seen & 0xFFFFFFFF)


@njit(cache=True)
def _wake_futex(flags, index):
    _futex(flags, index, _FUTEX_WAKE, 2 ** 31 - 1)


@njit(cache=True)
def _sleep_yield(flags, index, seen):
    cpu_yield()


@njit(cache=True)
def _wake_none(flags, index):
    pass


_sleep, _wake = (_sleep_futex, _wake_futex) if _SYS_FUTEX else (_sleep_yield, _wake_none)


@njit(cache=True)
def barrier(flags, index, n_threads, generation):
    """The ``generation``-th barrier (1, 2, ...) of ``n_threads`` threads on the counter
    ``flags[index]``, which starts at 0 and only grows: no reset, so no race between
    one barrier's last arrival and the next barrier's first. ``flags[index + 1]``
    counts the sleeping threads (0 at the start).

    A thread that sleeps counts itself in, then checks the counter again; the last
    to arrive checks the sleepers after its arrival and wakes them. Both sequentially
    consistent, so either the sleeper sees the arrival or the last sees the sleeper.
    """
    target = n_threads * generation
    if atomic_add(flags, index, 1) + 1 == target:
        if atomic_load(flags, index + 1) > 0:
            _wake(flags, index)
        return
    spins = 0
    while True:
        seen = atomic_load(flags, index)
        if seen >= target:
            return
        spins += 1
        if spins > SPINS:
            atomic_add(flags, index + 1, 1)
            seen = atomic_load(flags, index)
            if seen < target:
                _sleep(flags, index, seen)
            atomic_add(flags, index + 1, -1)
