"""Faults lose nothing: streamed recordings and checkpoints after failed writes, kills,
missing or damaged files, and runs continued from a checkpoint in a new process.

Oracles: the recording of one uninterrupted run (in memory, or streamed to
another folder) against the one continued from a checkpoint; a RateMonitor
records every step, so the steps a missing chunk held are known exactly; a
spike generator firing every neuron in every step gives a constant rate.
"""
import errno
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurosim as ns
from neurosim.io import _HOST
from neurosim.units import Hz, mV, ms

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHUNK = 100             # steps per chunk (0.1 ms steps: 10 ms)


def _network(folder, rate_folder=None):
    """A small recurrent network whose spikes and rate stream to ``folder``."""
    noise = ns.PoissonGroup(100, 50 * Hz, name="noise")
    cells = ns.NeuronGroup(80, ns.LIF(10 * ms, -70 * mV, -70 * mV, -55 * mV, refractory=2 * ms),
                           v=ns.Uniform(-70 * mV, -56 * mV), name="cells")
    objects = [noise, cells,
               ns.Synapses(noise, cells, kind="excitatory", weight=1.5 * mV,
                           connect=ns.FixedProbability(0.2), delay=1 * ms),
               ns.Synapses(cells, cells, kind="inhibitory", weight=0.5 * mV,
                           connect=ns.FixedProbability(0.1), delay=1.5 * ms)]
    spikes = ns.SpikeMonitor(cells, stream_to=folder)
    rate = ns.RateMonitor(cells, stream_to=rate_folder)
    return ns.Network(*objects, spikes, rate), spikes, rate


def _run(net, duration, **kwargs):
    net.run(duration, backend="numpy", chunk_steps=CHUNK, **kwargs)


def _tmp_files(folder):
    return sorted(f for f in os.listdir(folder) if "tmp" in f)


def _half_written(path, *args, **kwargs):
    """np.savez on a full disk: part of a file, then OSError."""
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04 part of a file")
    raise OSError(errno.ENOSPC, "No space left on device")


# ------------------------------------------------------------ temporary files
def test_a_failed_chunk_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    net, spikes, _ = _network(tmp_path / "spikes")
    _run(net, 20 * ms, dt=0.1 * ms, seed=1)
    monkeypatch.setattr(np, "savez", _half_written)
    with pytest.raises(OSError, match="No space left"):
        _run(net, 20 * ms)
    assert _tmp_files(tmp_path / "spikes") == []


def test_a_failed_checkpoint_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    net, _, _ = _network(None)
    _run(net, 5 * ms, dt=0.1 * ms, seed=1)
    monkeypatch.setattr(np, "savez", _half_written)
    with pytest.raises(OSError, match="No space left"):
        net.store(filename=tmp_path / "ck.npz")
    assert os.listdir(tmp_path) == []


def _dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _leave_temporaries(folder, dead, live):
    """Temporary files as writers leave them: ``{name: whether it must stay}``."""
    files = {f"chunk_000000.npz.{dead}.tmp.npz": False,              # older versions: no host
             f"chunk_000001.npz.{_HOST}.{dead}.tmp.npz": False,
             f"chunk_000002.rank00001.npz.{_HOST}.{dead}.tmp.npz": False,
             f"meta.json.{_HOST}.{dead}.tmp": False,
             f"chunk_000001.npz.{_HOST}.{live}.tmp.npz": True,       # being written now
             f"chunk_000001.npz.{live}.tmp.npz": True,
             f"chunk_000001.npz.otherhost.{dead}.tmp.npz": True}     # pid of another host
    for name in files:
        (folder / name).write_bytes(b"PK\x03\x04 part of a file")
    return files


@pytest.fixture
def live_pid():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("when", ["load_recording", "run"])
def test_stale_temporaries_of_dead_processes_are_removed_live_ones_kept(tmp_path, live_pid,
                                                                       when):
    folder = tmp_path / "spikes"
    net, spikes, _ = _network(folder)
    if when == "load_recording":
        _run(net, 20 * ms, dt=0.1 * ms, seed=1)
        files = _leave_temporaries(folder, _dead_pid(), live_pid)
        ns.load_recording(folder)
    else:
        net.build(dt=0.1 * ms, seed=1)
        files = _leave_temporaries(folder, _dead_pid(), live_pid)
        _run(net, 20 * ms)
        assert ns.load_recording(folder)["steps"].size == spikes.num_spikes > 0
    assert _tmp_files(folder) == sorted(name for name, stays in files.items() if stays)


# ------------------------------------------------- missing and damaged chunks
def _recorded(tmp_path, duration=50 * ms):
    net, spikes, rate = _network(tmp_path / "spikes", tmp_path / "rate")
    _run(net, duration, dt=0.1 * ms, seed=3)
    return spikes, rate


def test_load_recording_gives_times_in_seconds(tmp_path):
    spikes, rate = _recorded(tmp_path)
    rec = ns.load_recording(tmp_path / "spikes")
    np.testing.assert_array_equal(rec["t"], spikes.t)
    np.testing.assert_array_equal(rec["t"], rec["steps"] * rec["meta"]["dt"])
    rec = ns.load_recording(tmp_path / "rate")
    np.testing.assert_allclose(rec["t"], np.arange(500) * 1e-4, rtol=1e-12)


def test_a_missing_chunk_is_an_error_naming_it_and_its_steps(tmp_path):
    spikes, rate = _recorded(tmp_path)
    whole = ns.load_recording(tmp_path / "rate")
    os.remove(tmp_path / "rate" / "chunk_000002.npz")
    message = r"chunk_000002\.npz is missing: steps 200 to 299 \(t = 0\.02 to 0\.0299 s\)"
    with pytest.raises(ns.RecordingError, match=message):
        ns.load_recording(tmp_path / "rate")
    with pytest.raises(ns.RecordingError, match="stream_to=.*" + message):
        rate.rate
    with pytest.warns(UserWarning, match="skipped " + message):
        rec = ns.load_recording(tmp_path / "rate", intact=True)
    kept = (whole["steps"] < 200) | (whole["steps"] >= 300)
    np.testing.assert_array_equal(rec["steps"], whole["steps"][kept])
    np.testing.assert_array_equal(rec["counts"], whole["counts"][kept])
    # spikes: the range lies between the last spike before the chunk and the first after
    i, steps = spikes.i, spikes.steps
    os.remove(tmp_path / "spikes" / "chunk_000001.npz")
    lo, hi = steps[steps < 100].max() + 1, steps[steps >= 200].min() - 1
    with pytest.raises(ns.RecordingError, match=rf"chunk_000001\.npz is missing: steps {lo} to "
                                                rf"{hi} "):
        ns.load_recording(tmp_path / "spikes")
    with pytest.raises(ns.RecordingError, match=r"chunk_000001\.npz is missing"):
        spikes.i
    with pytest.warns(UserWarning, match=r"chunk_000001\.npz"):
        rec = ns.load_recording(tmp_path / "spikes", intact=True)
    kept = (steps < 100) | (steps >= 200)
    np.testing.assert_array_equal(rec["i"], i[kept])


@pytest.mark.parametrize("damage", ["truncated", "not a zip"])
def test_a_damaged_chunk_is_an_error_naming_it(tmp_path, damage):
    spikes, rate = _recorded(tmp_path)
    path = tmp_path / "rate" / "chunk_000001.npz"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if damage == "truncated" else b"\x80\x04 pickle")
    message = r"chunk_000001\.npz is damaged \(.*\): steps 100 to 199"
    with pytest.raises(ns.RecordingError, match=message):
        ns.load_recording(tmp_path / "rate")
    with pytest.raises(ns.RecordingError, match=message):
        rate.t
    with pytest.warns(UserWarning, match=message):
        rec = ns.load_recording(tmp_path / "rate", intact=True)
    assert rec["counts"].size == 400


def test_a_missing_part_is_an_error_unless_the_chunk_is_the_last(tmp_path):
    """MPI parts (two ranks): a part missing from an earlier chunk is lost data; parts
    missing from the chunks at the end are those of a run that stopped."""
    cells = ns.NeuronGroup(4, ns.LIF(10 * ms, -70 * mV, -70 * mV, -55 * mV))
    owner = np.array([0, 1, 0, 1])
    ranks = [ns.SpikeMonitor(cells, gather="local", stream_to=tmp_path) for _ in range(2)]
    for m in ranks:
        m._reset(1e-4)
    for rank, m in enumerate(ranks):
        m._share(rank, 2, owner == rank)
    for chunk in range(3):
        for m in ranks:
            m._append(np.arange(4), np.full(4, 10 * chunk + 5))
    ranks[0]._append(np.arange(4), np.full(4, 35))                  # rank 1 did not finish
    np.testing.assert_array_equal(ns.load_recording(tmp_path)["steps"], np.repeat([5, 15, 25], 4))
    os.remove(tmp_path / "chunk_000001.rank00001.npz")
    with pytest.raises(ns.RecordingError, match=r"chunk_000001\.rank00001\.npz is missing: "
                                                 r"steps 6 to 24 "):
        ns.load_recording(tmp_path)
    with pytest.warns(UserWarning, match=r"chunk_000001\.rank00001\.npz"):
        rec = ns.load_recording(tmp_path, intact=True)
    np.testing.assert_array_equal(rec["steps"], np.repeat([5, 25], 4))


# ----------------------------------------------------------- bad destinations
def test_stream_to_an_existing_file_is_refused(tmp_path):
    cells = ns.NeuronGroup(2, ns.LIF(10 * ms, -70 * mV, -70 * mV, -55 * mV))
    path = tmp_path / "spikes.npz"
    path.write_bytes(b"")
    message = r"stream_to='.*spikes\.npz' is a file; it must be a folder \(new or empty\)"
    with pytest.raises(NotADirectoryError, match=message):
        ns.SpikeMonitor(cells, stream_to=path)
    mon = ns.StateMonitor(cells, "v", stream_to=tmp_path / "v")
    mon.stream_to = str(path)           # a folder when constructed, a file at the run
    with pytest.raises(NotADirectoryError, match=message):
        ns.Network(cells, mon).run(1 * ms, backend="numpy")


def test_a_folder_that_holds_a_recording_is_refused_when_the_run_starts(tmp_path):
    _recorded(tmp_path)
    net, spikes, _ = _network(tmp_path / "spikes")
    net.build(dt=0.1 * ms, seed=3)                   # a checkpoint may be restored next
    with pytest.raises(FileExistsError, match=r"stream_to='.*spikes' already holds a "
                                              r"recording"):
        _run(net, 10 * ms)
    assert len(os.listdir(tmp_path / "spikes")) == 6     # meta.json and 5 chunks, untouched


def test_store_into_a_missing_folder_names_the_file_and_folder(tmp_path):
    net, _, _ = _network(None)
    net.build(dt=0.1 * ms, seed=1)
    with pytest.raises(FileNotFoundError, match=r"filename='.*ck\.npz': the folder '.*nowhere' "
                                                r"does not exist"):
        net.store(filename=tmp_path / "nowhere" / "ck.npz")
    assert os.listdir(tmp_path) == []


# --------------------------------------------- checkpoint, then continue streaming
@pytest.mark.parametrize("older_file", [False, True], ids=["names", "count"])
def test_a_restored_network_continues_its_streamed_recording(tmp_path, older_file):
    whole, w_spikes, w_rate = _network(tmp_path / "whole", tmp_path / "whole_rate")
    _run(whole, 100 * ms, dt=0.1 * ms, seed=5)
    first, spikes, rate = _network(tmp_path / "spikes", tmp_path / "rate")
    _run(first, 40 * ms, dt=0.1 * ms, seed=5)
    first.store(filename=tmp_path / "ck.npz")
    _run(first, 35 * ms)                # chunks 4 to 7, the last one short: rewritten
    if older_file:                      # a checkpoint of an earlier version: the number only
        with np.load(tmp_path / "ck.npz") as data:
            content = {k: data[k] for k in data.files if not k.endswith("/chunks")}
        np.savez(tmp_path / "ck.npz", **content)
    resumed, spikes2, rate2 = _network(tmp_path / "spikes", tmp_path / "rate")
    resumed.build(dt=0.1 * ms, seed=5)
    resumed.restore(filename=tmp_path / "ck.npz")
    assert spikes2.steps.max() < 400 and rate2.rate.size == 400
    _run(resumed, 60 * ms)
    assert w_spikes.num_spikes > 100
    for folder, reference in (("spikes", "whole"), ("rate", "whole_rate")):
        got, want = ns.load_recording(tmp_path / folder), ns.load_recording(tmp_path / reference)
        assert sorted(got) == sorted(want)
        for key in want:
            if key != "meta":
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"{folder}/{key}")
        assert sorted(os.listdir(tmp_path / folder)) == sorted(os.listdir(tmp_path / reference))
    np.testing.assert_array_equal(spikes2.i, w_spikes.i)
    np.testing.assert_array_equal(rate2.rate, w_rate.rate)


def test_a_checkpoint_whose_chunk_files_are_gone_is_refused(tmp_path):
    first, _, _ = _network(tmp_path / "spikes")
    _run(first, 30 * ms, dt=0.1 * ms, seed=5)
    first.store(filename=tmp_path / "ck.npz")
    os.remove(tmp_path / "spikes" / "chunk_000001.npz")
    resumed, _, _ = _network(tmp_path / "spikes")
    resumed.build(dt=0.1 * ms, seed=5)
    with pytest.raises(ns.CheckpointError, match=r"had written '.*chunk_000001\.npz' before the "
                                                 r"checkpoint, and it is missing"):
        resumed.restore(filename=tmp_path / "ck.npz")


_SCRIPT = '''
import os, signal, sys
import numpy as np
sys.path.insert(0, {here!r})
from test_streaming_faults import _network, _run
from neurosim.units import ms

mode, out = sys.argv[1], sys.argv[2]
folder = os.path.join(out, "whole" if mode == "whole" else "run")
net, spikes, rate = _network(folder, folder + "_rate")
if mode == "whole":
    _run(net, 100 * ms, dt=0.1 * ms, seed=9)
elif mode == "first":
    _run(net, 40 * ms, dt=0.1 * ms, seed=9)
    net.store(filename=os.path.join(out, "ck.npz"))
    _run(net, 20 * ms)

    def killed_while_writing(path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"PK\\x03\\x04 part of a chunk")
        os.kill(os.getpid(), signal.SIGKILL)
    np.savez = killed_while_writing
    _run(net, 40 * ms)
else:
    net.build(dt=0.1 * ms, seed=9)
    net.restore(filename=os.path.join(out, "ck.npz"))
    _run(net, 60 * ms)
'''


def test_a_killed_run_continued_from_its_checkpoint_in_a_new_process(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(_SCRIPT.format(here=HERE)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, HERE,
                                                       os.environ.get("PYTHONPATH", "")]))
    codes = {}
    for mode in ("whole", "first", "resumed"):
        proc = subprocess.run([sys.executable, str(script), mode, str(tmp_path)], env=env,
                              capture_output=True, text=True, timeout=600)
        codes[mode] = proc.returncode
        if mode == "first":
            # killed while writing its 7th chunk: 6 chunks, a temporary file
            assert len([f for f in os.listdir(tmp_path / "run") if f.endswith(".npz")
                        and "tmp" not in f]) == 6
            assert len(_tmp_files(tmp_path / "run")) == 1
    assert codes == {"whole": 0, "first": -signal.SIGKILL, "resumed": 0}, proc.stderr
    for folder in ("run", "run_rate"):
        got = ns.load_recording(tmp_path / folder)
        want = ns.load_recording(tmp_path / folder.replace("run", "whole"))
        assert want["steps"].size > 100
        for key in want:
            if key != "meta":
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"{folder}/{key}")
        assert _tmp_files(tmp_path / folder) == []
    with open(tmp_path / "run" / "meta.json") as fh:
        assert json.load(fh)["monitor"] == "SpikeMonitor"


# ------------------------------------------------------------------ smooth rate
def test_smooth_rate_before_any_run_says_to_run_first():
    rate = ns.RateMonitor(ns.PoissonGroup(5, 10 * Hz))
    with pytest.raises(RuntimeError, match="nothing is recorded yet; run the network first"):
        rate.smooth_rate(5 * ms)


@pytest.mark.parametrize("width", [3, 4, 7, 50])
def test_a_constant_rate_stays_constant_to_the_edges(width):
    n, steps = 10, 20
    stim = ns.SpikeGeneratorGroup(n, np.tile(np.arange(n), steps),
                                  np.repeat(np.arange(steps), n) * ms)
    rate = ns.RateMonitor(stim)
    ns.Network(stim, rate).run(steps * ms, dt=1 * ms, backend="numpy", seed=0)
    np.testing.assert_allclose(rate.rate, 1000.0)
    np.testing.assert_allclose(rate.smooth_rate(width * ms), 1000.0, rtol=1e-12)
