"""The protocol's public models (circuits.protocol_models): cache folder, CNN, images."""
import os

import numpy as np
import pytest

from circuits import protocol

TINY = dict(cnn_train_per_category=1, cnn_epochs=1)


def test_cache_folder_follows_the_environment_and_never_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    assert protocol.cache_folder() == os.path.join(str(tmp_path), "circuits")
    assert protocol.cache_folder(tmp_path / "mine") == str(tmp_path / "mine")
    assert protocol.cache_folder(False) is None
    monkeypatch.delenv("NEUROSIM_CACHE_DIR")
    default = protocol.cache_folder()
    assert default.endswith(os.path.join("neurosim", "circuits"))
    assert not os.path.abspath(default).startswith(os.path.abspath(os.getcwd()))


def test_trained_cnn_is_trained_once_then_loaded(extra, tmp_path):
    pytest.importorskip("torch")
    x, y = protocol.training_set(quick=True, config=TINY, cache=tmp_path)
    assert len(x) == len(y) == 8 * 3 and len(list(tmp_path.glob("trainset-*.npz"))) == 1
    a, hist = protocol.trained_cnn(0, quick=True, config=TINY, cache=tmp_path,
                                   return_history=True)
    assert len(hist["loss"]) == 1 and len(list(tmp_path.glob("cornet_z-*.pt"))) == 1
    b = protocol.trained_cnn(0, quick=True, config=TINY, cache=tmp_path)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    assert protocol.untrained_cnn() is not None


def test_evaluation_images_are_the_protocols(extra):
    ev = protocol.evaluation_images(quick=True, config=dict(n_per_category=1,
                                                            t5_per_category=1))
    assert ev.images.shape == (24, 32, 32) and sorted(set(ev.level)) == ["V0", "V3", "V6"]
    again = protocol.evaluation_images(quick=True, config=dict(n_per_category=1,
                                                               t5_per_category=1))
    assert np.array_equal(ev.images, again.images)


def test_learned_circuit_is_learned_once_then_loaded(extra, tmp_path):
    """The protocol's learned circuit and its category units: learned from the
    protocol's training images, cached, then loaded with the same templates and units;
    its V2 templates are not the imprinted circuit's."""
    config = dict(homeostasis=False)
    pathway, units = protocol.learned_circuit(quick=True, config=config, cache=tmp_path)
    assert len(list(tmp_path.glob("stdp-pathway-*.npz"))) == 1
    assert len(list(tmp_path.glob("rstdp-units-*.npz"))) == 1
    assert units.weights.shape == (16, pathway.circuit.populations["it"].n)
    again, units_again = protocol.learned_circuit(quick=True, config=config, cache=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2                  # loaded, nothing new
    assert np.array_equal(again.circuit.templates["v2_s"], pathway.circuit.templates["v2_s"])
    assert np.array_equal(units_again.weights, units.weights)
    imprinted = protocol.imprinted_pathway(quick=True, config=config)
    assert not np.array_equal(pathway.circuit.templates["v2_s"],
                              imprinted.circuit.templates["v2_s"])
    with pytest.raises(ValueError, match=r"model='lif' must be one of"):
        protocol.learned_circuit("lif", quick=True, cache=False)
