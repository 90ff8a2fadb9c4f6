"""The CNN comparator: a CORnet-Z-like network in PyTorch, trained in-project on CPU.

Four blocks named after the areas they are compared with (Kubilius et al. 2018), each
``conv -> ReLU -> max-pool (3 x 3, stride 2)``:

=====  ================================  ========
block  convolution                       channels
=====  ================================  ========
V1     7 x 7, stride 2                   32
V2     3 x 3                             64
V4     3 x 3                             128
IT     3 x 3                             256
=====  ================================  ========

then global average pooling and a linear classifier (the ``decoder``). The network is
trained from a seed on the glyph object set (:func:`training_set`, which holds two fonts
out), deterministically: the same seed gives the same weights (:func:`train`). The same
network untrained (:func:`build_cornet_z`) is the control. :func:`extract_features` reads
any named modules' outputs (forward hooks) as ``(n_images, n_units)`` arrays, so it also
serves torchvision models loaded with weights the user supplies
(:func:`load_torchvision`; nothing is ever downloaded).

PyTorch is an optional extra: this module imports without it, and every function that
needs it imports it when called.

References
----------
Kubilius, J., Schrimpf, M., Nayebi, A., Bear, D., Yamins, D. L. K. & DiCarlo, J. J.
(2018). CORnet: modeling the neural mechanisms of core object recognition. bioRxiv
408385.
"""
import contextlib
import hashlib
import json
import os
from collections import OrderedDict

import numpy as np

__all__ = ["BLOCKS", "WIDTHS", "TRAIN_FONTS", "HELD_OUT_FONTS", "build_cornet_z",
           "training_set", "train", "extract_features", "to_tensor", "save", "load",
           "load_torchvision", "TORCHVISION_LAYERS", "deterministic"]

#: The blocks, in hierarchical order, and their channels.
BLOCKS = ("V1", "V2", "V4", "IT")
WIDTHS = (32, 64, 128, 256)

#: Fonts the CNN is trained on, and the two held out of training (section 1 of the plan).
TRAIN_FONTS = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique",
               "DejaVuSans-BoldOblique", "DejaVuSerif", "DejaVuSerif-Bold")
HELD_OUT_FONTS = ("DejaVuSerif-Italic", "DejaVuSansMono")

#: Input scaling: stimuli are equalised to mean 0.5 and RMS contrast 0.2 (std 0.1).
_MEAN, _STD = 0.5, 0.1

#: Default layers of torchvision models for the four areas.
TORCHVISION_LAYERS = {
    "alexnet": {"V1": "features.2", "V2": "features.5", "V4": "features.9",
                "IT": "features.12"},
    "resnet18": {"V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4"},
    "resnet34": {"V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4"},
    "resnet50": {"V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4"},
    "vgg16": {"V1": "features.9", "V2": "features.16", "V4": "features.23",
              "IT": "features.30"},
}


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("the CNN comparator needs PyTorch (an optional extra): "
                          "pip install torch") from None
    return torch


@contextlib.contextmanager
def deterministic(threads=1):
    """Run PyTorch with deterministic algorithms on ``threads`` CPU threads; restore after.

    A fixed thread count matters too: it fixes the order of floating-point sums.
    """
    torch = _torch()
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det)
        torch.set_num_threads(old_threads)


def build_cornet_z(n_classes=8, widths=WIDTHS, in_channels=1, seed=0):
    """The CORnet-Z-like network, initialised from ``seed`` (PyTorch's default init).

    Parameters
    ----------
    n_classes : int, optional
    widths : sequence of 4 int, optional
        Channels of V1, V2, V4, IT.
    in_channels : int, optional
    seed : int, optional
        Seeds the initial weights only (the global RNG state is left as it was).

    Returns
    -------
    torch.nn.Sequential
        Children ``V1``, ``V2``, ``V4``, ``IT`` (each with ``conv``, ``nonlin``,
        ``pool``) and ``decoder`` (``avgpool``, ``flatten``, ``linear``).
    """
    torch = _torch()
    nn = torch.nn
    if len(widths) != len(BLOCKS):
        raise ValueError(f"widths={widths!r} must give {len(BLOCKS)} channel counts")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = OrderedDict()
        c_in = in_channels
        for name, c_out in zip(BLOCKS, widths):
            k, stride = (7, 2) if name == "V1" else (3, 1)
            layers[name] = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2)),
                ("nonlin", nn.ReLU()),
                ("pool", nn.MaxPool2d(3, stride=2, padding=1))]))
            c_in = c_out
        layers["decoder"] = nn.Sequential(OrderedDict([
            ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
            ("linear", nn.Linear(c_in, n_classes))]))
        # channels-last: PyTorch's CPU max-pooling is several times faster on it
        model = nn.Sequential(layers).to(memory_format=torch.channels_last)
    model.config = {"n_classes": int(n_classes), "widths": [int(w) for w in widths],
                    "in_channels": int(in_channels)}
    return model


def to_tensor(images, channels=1):
    """Grey images ``(n, h, w)`` in [0, 1] -> float32 tensor ``(n, channels, h, w)``,
    centred on the stimuli's mean luminance and scaled by their contrast."""
    torch = _torch()
    img = np.asarray(images, np.float32)
    if img.ndim == 2:
        img = img[None]
    x = torch.from_numpy((img - _MEAN) / _STD)[:, None]
    return x.expand(-1, channels, -1, -1).contiguous() if channels > 1 else x


def training_set(n_per_category=64, size=64, seed=0, levels=("V0", "V3", "V6"),
                 fonts=TRAIN_FONTS):
    """Draws of the glyph object set for training: every level, the training fonts.

    ``n_per_category`` images of each category at each level, from
    ``circuits.stimuli.object_set``; seeds are derived from ``seed`` (use seeds that
    the evaluation sets do not use, e.g. ``seed >= 1000``).

    Returns
    -------
    images : ndarray, shape (n, size, size)
    labels : ndarray of int
    """
    from circuits import stimuli
    parts = [stimuli.object_set(n_per_category, level, size=size, seed=seed * 100 + i,
                                fonts=fonts)
             for i, level in enumerate(levels)]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))


def _shift(x, max_shift, gen):
    """Random circular shifts of a batch by up to ``max_shift`` pixels (augmentation)."""
    torch = _torch()
    if max_shift <= 0:
        return x
    s = torch.randint(-max_shift, max_shift + 1, (2,), generator=gen).tolist()
    return torch.roll(x, shifts=s, dims=(2, 3))


def _cache_file(cache_dir, key):
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return os.path.join(cache_dir, f"cornet_z-{digest}.pt")


def train(images, labels, seed=0, epochs=6, batch_size=64, lr=1e-3, weight_decay=1e-4,
          max_shift=0, widths=WIDTHS, threads=1, cache_dir=None, verbose=False):
    """Train the CORnet-Z-like network on CPU, deterministically from ``seed``.

    Adam on the cross-entropy loss; ``seed`` sets the initial weights, the order of the
    batches and the augmentation, so the same seed and data give identical weights
    (with the same ``threads``).

    Parameters
    ----------
    images : array_like, shape (n, h, w)
        Grey images in [0, 1] (e.g. :func:`training_set`).
    labels : array_like of int, shape (n,)
        Categories ``0 .. n_classes - 1``.
    seed : int, optional
    epochs : int, optional
    batch_size : int, optional
    lr, weight_decay : float, optional
        Adam's learning rate and L2 penalty.
    max_shift : int, optional
        Random circular shifts of each batch by up to this many pixels.
    widths : sequence of int, optional
    threads : int, optional
        PyTorch CPU threads.
    cache_dir : str, optional
        Save the trained weights there, keyed by a hash of the data and arguments, and
        load them instead of training when they exist.
    verbose : bool, optional
        Print loss and accuracy after each epoch.

    Returns
    -------
    model : torch.nn.Sequential
        In eval mode.
    history : dict of list
        ``loss`` and ``accuracy`` (training batches) per epoch.
    """
    torch = _torch()
    x_all = to_tensor(images)
    y_all = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if len(x_all) != len(y_all):
        raise ValueError(f"{len(x_all)} images for {len(y_all)} labels")
    n_classes = int(y_all.max()) + 1
    key = {"data": hashlib.sha1(x_all.numpy().tobytes() + y_all.numpy().tobytes())
           .hexdigest(), "seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
           "weight_decay": weight_decay, "max_shift": max_shift, "widths": list(widths),
           "threads": threads, "torch": torch.__version__}
    path = _cache_file(cache_dir, key) if cache_dir else None
    if path and os.path.exists(path):
        return load(path)
    with deterministic(threads):
        model = build_cornet_z(n_classes, widths, seed=seed)
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss()
        history = {"loss": [], "accuracy": []}
        model.train()
        for epoch in range(epochs):
            order = torch.randperm(len(x_all), generator=gen)
            total, correct, count = 0.0, 0, 0
            for a in range(0, len(order), batch_size):
                idx = order[a:a + batch_size]
                xb, yb = _shift(x_all[idx], max_shift, gen), y_all[idx]
                opt.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
                correct += int((out.argmax(1) == yb).sum())
                count += len(idx)
            history["loss"].append(total / count)
            history["accuracy"].append(correct / count)
            if verbose:
                print(f"seed {seed} epoch {epoch + 1}/{epochs}: loss {total / count:.3f}, "
                      f"accuracy {correct / count:.3f}")
        model.eval()
    if path:
        save(model, path, history)
    return model, history


def save(model, path, history=None):
    """Save a :func:`build_cornet_z` network's weights, configuration and history."""
    torch = _torch()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save({"config": model.config, "state_dict": model.state_dict(),
                "history": history or {}}, tmp)
    os.replace(tmp, path)


def load(path):
    """Load what :func:`save` wrote: ``(model, history)``, the model in eval mode."""
    torch = _torch()
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = build_cornet_z(**blob["config"])
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob["history"]


def _pool(t, pool):
    """Block output ``(n, c, h, w)`` -> ``(n, units)``."""
    torch = _torch()
    if t.ndim == 2:
        return t
    if pool == "avg":
        return t.mean(dim=(2, 3))
    if pool == "flatten":
        return t.flatten(1)
    if isinstance(pool, (int, np.integer)) and pool > 0:
        return torch.nn.functional.adaptive_avg_pool2d(t, int(pool)).flatten(1)
    raise ValueError(f"pool={pool!r} must be 'avg', 'flatten' or a grid size (int > 0)")


def extract_features(model, images, layers=None, pool="avg", batch_size=128,
                     preprocess=None, threads=1):
    """Every named layer's output for every image, as ``(n_images, n_units)`` arrays.

    Parameters
    ----------
    model : torch.nn.Module
    images : array_like, shape (n, h, w)
        Grey images in [0, 1].
    layers : dict of str -> str or sequence of str, optional
        Feature name -> module name inside ``model`` (``model.get_submodule``);
        a sequence uses the module names as feature names. Default :data:`BLOCKS`.
    pool : {'avg', 'flatten'} or int, optional
        ``'avg'``: global average over space (one unit per channel); ``'flatten'``: every
        spatial position of every channel; an int ``g``: average over each cell of a
        ``g x g`` grid.
    batch_size : int, optional
    preprocess : callable, optional
        Images -> input tensor; default :func:`to_tensor` (one channel).
    threads : int, optional

    Returns
    -------
    dict of str -> ndarray of float32
    """
    torch = _torch()
    if layers is None:
        layers = BLOCKS
    if not isinstance(layers, dict):
        layers = {name: name for name in layers}
    preprocess = preprocess or to_tensor
    modules = {name: model.get_submodule(path) for name, path in layers.items()}
    out = {name: [] for name in layers}
    current = {}

    def hook(name):
        def fn(_module, _inputs, output):
            current[name] = _pool(output.detach(), pool).numpy().astype(np.float32)
        return fn

    handles = [m.register_forward_hook(hook(name)) for name, m in modules.items()]
    was_training = model.training
    model.eval()
    img = np.asarray(images)
    try:
        with deterministic(threads), torch.no_grad():
            for a in range(0, len(img), batch_size):
                model(preprocess(img[a:a + batch_size]))
                for name in layers:
                    out[name].append(current.pop(name))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return {name: np.concatenate(v) for name, v in out.items()}


def load_torchvision(arch, weights, layers=None, input_size=224):
    """A torchvision model with weights from a file the user supplies (never downloaded).

    Parameters
    ----------
    arch : str
        A ``torchvision.models`` constructor, e.g. ``"resnet18"``.
    weights : str or dict
        Path of a saved state dict (``torch.save(model.state_dict(), path)``; a dict
        with a ``"state_dict"`` entry works too), or the state dict itself.
    layers : dict of str -> str, optional
        Area -> module name; default :data:`TORCHVISION_LAYERS` for ``arch``.
    input_size : int, optional
        Images are resized to this side, repeated over 3 channels and normalised with
        the ImageNet statistics.

    Returns
    -------
    model : torch.nn.Module
        In eval mode.
    layers : dict
    preprocess : callable
        Pass to :func:`extract_features` with ``layers``.
    """
    torch = _torch()
    try:
        import torchvision
    except ImportError:
        raise ImportError("load_torchvision needs torchvision: pip install torchvision "
                          "(weights are never downloaded; pass your own file)") from None
    if layers is None:
        if arch not in TORCHVISION_LAYERS:
            raise ValueError(f"no default layers for arch={arch!r}; pass layers= (known: "
                             f"{sorted(TORCHVISION_LAYERS)})")
        layers = TORCHVISION_LAYERS[arch]
    model = getattr(torchvision.models, arch)(weights=None)
    state = weights
    if not isinstance(state, dict):
        state = torch.load(weights, map_location="cpu", weights_only=True)
    if "state_dict" in state:
        state = state["state_dict"]
    model.load_state_dict(state)
    model.eval()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def preprocess(images):
        img = np.asarray(images, np.float32)
        x = torch.from_numpy(img[:, None] if img.ndim == 3 else img[None, None])
        x = torch.nn.functional.interpolate(x, size=(input_size, input_size),
                                            mode="bilinear", align_corners=False)
        return (x.expand(-1, 3, -1, -1) - mean) / std

    return model, dict(layers), preprocess
