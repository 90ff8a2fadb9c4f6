"""circuits.cnn: the CORnet-Z-like comparator, trained tiny and briefly."""
import importlib.util
import sys
from collections import OrderedDict

import numpy as np
import pytest

from circuits import cnn

torch = pytest.importorskip("torch")

TINY = (4, 8, 8, 16)


def _toy_set(n_per_class=24, size=32, seed=0):
    """Four categories: gratings of four orientations, random frequency and phase, noisy."""
    from circuits import stimuli
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for c, ori in enumerate((0, 45, 90, 135)):
        for _ in range(n_per_class):
            g = stimuli.grating(size, ori + rng.uniform(-10, 10), rng.uniform(0.1, 0.2),
                                rng.uniform(0, 360), contrast=0.5)
            images.append(np.clip(g + 0.1 * rng.normal(size=g.shape), 0, 1))
            labels.append(c)
    return np.array(images), np.array(labels)


@pytest.fixture(scope="module")
def toy():
    return _toy_set()


def _train(toy, seed=0, epochs=3):
    images, labels = toy
    return cnn.train(images, labels, seed=seed, epochs=epochs, batch_size=16, lr=3e-3,
                     widths=TINY)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_same_seed_gives_identical_weights(toy):
    m1, h1 = _train(toy, seed=3, epochs=2)
    m2, h2 = _train(toy, seed=3, epochs=2)
    assert _same_weights(m1, m2) and h1 == h2
    m3, _ = _train(toy, seed=4, epochs=2)
    assert not _same_weights(m1, m3)


def test_untrained_network_from_seed_leaves_global_rng(toy):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = cnn.build_cornet_z(seed=5, widths=TINY)
    after = torch.rand(1)
    assert torch.equal(before, after)
    assert _same_weights(a, cnn.build_cornet_z(seed=5, widths=TINY))
    assert not _same_weights(a, cnn.build_cornet_z(seed=6, widths=TINY))
    assert [name for name, _ in a.named_children()] == list(cnn.BLOCKS) + ["decoder"]


def test_trained_accuracy_above_chance_on_toy_set(toy):
    model, history = _train(toy, seed=0, epochs=6)
    assert history["loss"][-1] < history["loss"][0]
    test_images, test_labels = _toy_set(12, seed=1)
    with torch.no_grad():
        pred = model(cnn.to_tensor(test_images)).argmax(1).numpy()
    assert np.mean(pred == test_labels) > 0.6          # chance 0.25
    feats = cnn.extract_features(model, test_images)
    from circuits import metrics
    pytest.importorskip("sklearn")
    assert metrics.decode(feats["IT"], test_labels, n_splits=4)[0] > 0.6


def test_feature_shapes_per_block():
    model = cnn.build_cornet_z(seed=0)
    images = np.random.default_rng(0).uniform(size=(5, 64, 64))
    avg = cnn.extract_features(model, images, batch_size=2)
    assert list(avg) == list(cnn.BLOCKS)
    assert [avg[b].shape for b in cnn.BLOCKS] == [(5, w) for w in cnn.WIDTHS]
    assert all(v.dtype == np.float32 for v in avg.values())
    flat = cnn.extract_features(model, images, pool="flatten")
    sides = (16, 8, 4, 2)                      # 64 -> conv stride 2 -> pool per block
    expected = [(5, w * s * s) for w, s in zip(cnn.WIDTHS, sides)]
    assert [flat[b].shape for b in cnn.BLOCKS] == expected
    # global average = mean of the flattened spatial features
    v1 = flat["V1"].reshape(5, 32, 16, 16)
    assert np.allclose(v1.mean(axis=(2, 3)), avg["V1"], atol=1e-5)
    grid = cnn.extract_features(model, images, layers={"it": "IT", "logits": "decoder"},
                                pool=2)
    assert grid["it"].shape == (5, 256 * 4) and grid["logits"].shape == (5, 8)
    with pytest.raises(ValueError, match="pool"):
        cnn.extract_features(model, images, pool="max")


def test_features_do_not_depend_on_batching():
    model = cnn.build_cornet_z(seed=1, widths=TINY)
    images = np.random.default_rng(1).uniform(size=(7, 32, 32))
    a = cnn.extract_features(model, images, batch_size=7)
    b = cnn.extract_features(model, images, batch_size=3)
    assert all(np.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert model.training                      # the mode is restored after extraction
    model.eval()
    cnn.extract_features(model, images)
    assert not model.training


def test_save_load_and_training_cache(toy, tmp_path):
    images, labels = toy
    kw = dict(seed=2, epochs=1, batch_size=32, widths=TINY, cache_dir=str(tmp_path))
    m1, h1 = cnn.train(images, labels, **kw)
    files = list(tmp_path.glob("cornet_z-*.pt"))
    assert len(files) == 1
    m2, h2 = cnn.train(images, labels, **kw)                 # loaded, not retrained
    assert _same_weights(m1, m2) and h1 == h2
    cnn.train(images, labels, **{**kw, "seed": 3})
    assert len(list(tmp_path.glob("cornet_z-*.pt"))) == 2
    m3, _ = cnn.load(str(files[0]))
    x = cnn.to_tensor(images[:4])
    with torch.no_grad():
        assert torch.equal(m1(x), m3(x))


def test_training_set_holds_fonts_out():
    if importlib.util.find_spec("skimage") is None and importlib.util.find_spec("sklearn") is None:
        pytest.skip("the object set's backgrounds need scikit-image or scikit-learn")
    images, labels = cnn.training_set(1, size=32, seed=1000, levels=("V0", "V6"))
    assert images.shape == (16, 32, 32) and np.bincount(labels).tolist() == [2] * 8
    assert not set(cnn.HELD_OUT_FONTS) & set(cnn.TRAIN_FONTS)
    from circuits import stimuli
    assert set(cnn.HELD_OUT_FONTS) | set(cnn.TRAIN_FONTS) == set(stimuli.FONTS)


def test_load_torchvision_with_user_weights(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    path = tmp_path / "resnet18.pt"
    saved = torchvision.models.resnet18(weights=None).state_dict()
    torch.save(saved, path)
    model, layers, preprocess = cnn.load_torchvision("resnet18", str(path), input_size=64)
    # the user's weights, not a fresh random initialisation
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())
    feats = cnn.extract_features(model, np.random.default_rng(0).uniform(size=(3, 32, 32)),
                                 layers=layers, preprocess=preprocess)
    assert [feats[k].shape for k in ("V1", "V2", "V4", "IT")] == [(3, 64), (3, 128),
                                                                  (3, 256), (3, 512)]
    with pytest.raises(ValueError, match="layers"):
        cnn.load_torchvision("squeezenet1_0", str(path))


def test_default_torchvision_layers_exist():
    torchvision = pytest.importorskip("torchvision")
    for arch, layers in cnn.TORCHVISION_LAYERS.items():
        modules = dict(getattr(torchvision.models, arch)(weights=None).named_modules())
        assert set(layers.values()) <= set(modules), arch


def test_load_torchvision_logic_with_a_stand_in_module(tmp_path, monkeypatch):
    """Without torchvision installed: a stand-in ``torchvision.models`` checks the
    loading, the layer names and the preprocessing."""
    import types
    nn = torch.nn

    def resnet18(weights=None):
        assert weights is None                     # never asks for downloaded weights
        torch.manual_seed(0)
        return nn.Sequential(OrderedDict([
            ("layer1", nn.Conv2d(3, 4, 3, stride=2)), ("layer2", nn.Conv2d(4, 5, 3)),
            ("layer3", nn.Conv2d(5, 6, 3)), ("layer4", nn.Conv2d(6, 7, 3))]))

    fake = types.ModuleType("torchvision")
    fake.models = types.SimpleNamespace(resnet18=resnet18)
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    src = resnet18()
    for p in src.parameters():
        p.data.fill_(0.5)
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": src.state_dict()}, path)
    model, layers, preprocess = cnn.load_torchvision("resnet18", str(path), input_size=40)
    assert all(torch.all(p == 0.5) for p in model.parameters()) and not model.training
    assert layers == cnn.TORCHVISION_LAYERS["resnet18"]
    x = preprocess(np.full((2, 16, 16), 0.5))
    assert x.shape == (2, 3, 40, 40)
    assert torch.allclose(x[0, :, 0, 0], (0.5 - torch.tensor([0.485, 0.456, 0.406]))
                          / torch.tensor([0.229, 0.224, 0.225]))
    feats = cnn.extract_features(model, np.random.default_rng(0).uniform(size=(3, 16, 16)),
                                 layers=layers, preprocess=preprocess)
    assert [feats[k].shape for k in ("V1", "V2", "V4", "IT")] == [(3, 4), (3, 5), (3, 6),
                                                                  (3, 7)]
    model2, _, _ = cnn.load_torchvision("resnet18", src.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters()))
    with pytest.raises(ValueError, match="layers"):
        cnn.load_torchvision("squeezenet1_0", str(path))


def test_without_torch_the_module_imports_and_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        cnn.build_cornet_z()
