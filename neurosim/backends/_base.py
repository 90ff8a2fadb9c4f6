"""What every backend is: the contract the run loop (``neurosim._run_loop``) drives."""

__all__ = ["Backend", "plastic_or_none", "procedural_or_none"]


def plastic_or_none(arrays):
    """The network's plastic synapses, or None where it has none: the compiled loops
    are then compiled without them (numba drops a branch on a None argument)."""
    pl = getattr(arrays, "plastic", None)
    return pl if pl is not None and pl.w.size else None


def procedural_or_none(arrays):
    """The network's procedural projections, or None where it has none (or for arrays
    made without them): the compiled loops are then compiled without their code."""
    pr = getattr(arrays, "procedural", None)
    return pr if pr is not None and pr.lo.size else None


class Backend:
    """A place where the time loop runs.

    The run loop calls ``start`` once per ``run``, then ``run_chunk`` for each
    slice of each chunk, then ``finish``. ``run_chunk(arrays, seed, step0,
    n_steps, n_threads)`` advances the state arrays in place from step
    ``step0``, fills the recording buffers of ``arrays.recorders`` and returns
    the number of steps done (fewer when the spike buffer is full).
    """

    name = None
    # wall seconds per call of run_chunk (how soon Ctrl-C is honoured); None: a
    # whole chunk per call
    slice_seconds = 0.2
    # whether the first call compiles (timed apart from the run, with 0 steps)
    compiled = False
    # whether a first Ctrl-C ends the run after the current slice (else at once)
    interruptible = True
    # whether this process reports progress
    is_root = True

    @staticmethod
    def is_available():
        return True

    @staticmethod
    def why_unavailable():
        return None

    def threads_for(self, n_neurons, n_threads=None):
        return 1

    def start(self, net, n_steps, chunk, threads):
        """Before the first chunk of a run of ``n_steps`` steps."""

    def finish(self, net):
        """After the last chunk of a run."""

    def run_chunk(self, arrays, seed, step0, n_steps, n_threads):
        raise NotImplementedError
