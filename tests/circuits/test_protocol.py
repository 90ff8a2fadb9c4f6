"""The comparison protocol end to end on a tiny configuration: every target gets a row.

It trains a CNN and runs every comparator, which takes minutes on 2 cores, so
``make test`` leaves it out (marker ``protocol``) and ``make vp-bench`` runs it.
"""
import pytest


@pytest.mark.protocol
def test_tiny_protocol_writes_every_target(extra, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from circuits import protocol
    config = dict(n_per_category=2, trials=2, cnn_train_per_category=2, cnn_epochs=1,
                  n_boot=20, n_boot_slow=2, n_perm=99, decode_repeats=1, homeostasis=False)
    res = protocol.run_protocol(True, tmp_path, seed=0, config=config,
                                cache_dir=str(tmp_path / "cache"), verbose=False)
    text = (tmp_path / "visual-pathway.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| T")]
    assert [line.split(":")[0] for line in table] == [f"| T{k}" for k in range(9)]
    for line in table:
        assert line.rstrip().endswith(("| yes |", "| **no** |", "| not measured |")) or \
            "(aim" in line, line
    assert set(res["targets"]) == set(protocol.TARGETS)
    assert res["targets"]["T7"]["holds"] is None            # not measured, and says why
    for path in res["paths"]["figures"]:
        assert (tmp_path / path.split("/")[-1]).exists()
