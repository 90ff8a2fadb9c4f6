"""The comparison protocol's models and images, for anyone to reproduce its numbers.

Each function gives what :func:`circuits.protocol.run_protocol` uses, with the same
settings (:data:`circuits.protocol_config.PRESETS`, ``quick`` or full, overridden by
``config``) and the same seeds (``seed``, the protocol's):

* :func:`evaluation_images`: the evaluation images, the circuit's imprinting images
  and T5's scoring images;
* :func:`imprinted_pathway`: the spiking circuit, its templates imprinted from those
  images;
* :func:`training_set`, :func:`trained_cnn`, :func:`untrained_cnn`: the CNN's
  training images, the CNN trained on them, and the untrained control.

Trained CNNs and their training images are cached (:func:`cache_folder`): in
``$NEUROSIM_CACHE_DIR/circuits`` when that variable is set (neurosim keeps its compiled
engines in the same folder), else in the user's cache folder
(``platformdirs.user_cache_dir("neurosim")`` when platformdirs is installed, else
``$XDG_CACHE_HOME/neurosim`` or ``~/.cache/neurosim``), subfolder ``circuits``; never in
the checkout unless a folder is passed.

Examples
--------
>>> from circuits import protocol
>>> model = protocol.trained_cnn(0, quick=True)                  # doctest: +SKIP
>>> images = protocol.evaluation_images(quick=True).images        # doctest: +SKIP
"""
import os

import numpy as np

from .protocol_config import CNN_TRAIN, PRESETS

__all__ = ["settings", "cache_folder", "evaluation_images", "imprinted_pathway",
           "learned_circuit", "training_set", "trained_cnn", "untrained_cnn"]


def settings(quick=False, config=None):
    """The protocol's settings: the ``quick`` or full preset with ``config``'s overrides."""
    return dict(PRESETS["quick" if quick else "full"], **(config or {}))


def cache_folder(cache=None):
    """Where trained CNNs and their training images are kept.

    Parameters
    ----------
    cache : str, path or False, optional
        A folder (used as given), False (no cache: returns None) or None (the user's
        cache folder, see the module's description).

    Returns
    -------
    str or None
    """
    if cache is False:
        return None
    if cache is not None:
        return os.fspath(cache)
    if os.environ.get("NEUROSIM_CACHE_DIR"):
        return os.path.join(os.environ["NEUROSIM_CACHE_DIR"], "circuits")
    try:
        import platformdirs
        base = platformdirs.user_cache_dir("neurosim")
    except ImportError:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME")
                            or os.path.join(os.path.expanduser("~"), ".cache"), "neurosim")
    return os.path.join(base, "circuits")


def evaluation_images(quick=False, seed=0, config=None):
    """The protocol's images (:func:`circuits.protocol_responses.draw_images`).

    Returns
    -------
    circuits.protocol_responses.Images
        ``images``, ``labels``, ``level``, ``fonts``, ``training`` (the circuit's
        imprinting images) and ``t5_images``.
    """
    from .protocol_responses import draw_images
    return draw_images(settings(quick, config), seed)


def imprinted_pathway(model="mcculloch_pitts", circuit_seed=0, quick=False, seed=0,
                      config=None, training=None):
    """The protocol's spiking circuit, as built for its comparison.

    Parameters
    ----------
    model : {'mcculloch_pitts', 'lif'}, optional
        The LIF circuit gets the McCulloch-Pitts circuit's templates and thresholds
        (built first), as in the protocol.
    circuit_seed : int, optional
        Index of the circuit seed: the circuit is built at ``seed + circuit_seed``.
    quick, seed, config
        As :func:`circuits.protocol.run_protocol`.
    training : ndarray, optional
        The imprinting images (default :func:`evaluation_images`'s ``training``).

    Returns
    -------
    circuits.Pathway
    """
    from .pathway import build_pathway
    cfg = settings(quick, config)
    if training is None:
        training = evaluation_images(quick, seed, config).training
    common = dict(n_threads=1, n_jobs=cfg["n_jobs"], homeostasis=cfg["homeostasis"],
                  seed=seed + circuit_seed)
    pw = build_pathway(cfg["size"], "it", model="mcculloch_pitts", training=training,
                       **common)
    if model == "mcculloch_pitts":
        return pw
    return build_pathway(cfg["size"], "it", model=model, learned=pw.state(), **common)


def learned_circuit(model="mcculloch_pitts_learned", quick=False, seed=0, config=None,
                    cache=None):
    """The protocol's learned circuit (first circuit seed) and its IT category units,
    learned once, then loaded from the cache.

    Parameters
    ----------
    model : {'mcculloch_pitts_learned', 'lif_learned'}, optional
        V2's features learned by STDP (:data:`circuits.protocol_config.LEARNED`).
    quick, seed, config
        As :func:`circuits.protocol.run_protocol`.
    cache : str, path or False, optional
        :func:`cache_folder`.

    Returns
    -------
    pathway : circuits.Pathway
    units : circuits.learning_rstdp.RewardLearning
        Its IT category units (reward-modulated STDP).
    """
    from .protocol_config import LEARNED
    from .protocol_responses import circuit_category_units, circuit_pathway
    if model not in LEARNED:
        raise ValueError(f"model={model!r} must be one of {sorted(LEARNED)}")
    cfg = settings(quick, config)
    folder = cache_folder(cache)
    pathway = circuit_pathway(cfg, seed, model, evaluation_images(quick, seed, config).training,
                              cache_dir=folder)
    return pathway, circuit_category_units(pathway, cfg, seed, folder)


def training_set(quick=False, seed=0, config=None, cache=None):
    """The CNN's training images and labels (:func:`circuits.cnn.training_set`, seed
    ``seed + 1000``, the training fonts), kept in the cache.

    Returns
    -------
    images : ndarray, shape (n, size, size)
    labels : ndarray of int, shape (n,)
    """
    from . import cnn
    cfg = settings(quick, config)
    folder = cache_folder(cache)
    size, per = cfg["size"], cfg["cnn_train_per_category"]
    path = (os.path.join(folder, f"trainset-{size}-{per}-{seed + 1000}.npz")
            if folder else None)
    if path and os.path.exists(path):
        with np.load(path) as f:
            return f["x"], f["y"]
    x, y = cnn.training_set(per, size=size, seed=seed + 1000)
    if path:
        os.makedirs(folder, exist_ok=True)
        np.savez(path + ".tmp.npz", x=x, y=y)
        os.replace(path + ".tmp.npz", path)
    return x, y


def trained_cnn(cnn_seed=0, quick=False, seed=0, config=None, cache=None,
                return_history=False):
    """The CNN trained from ``cnn_seed`` on :func:`training_set` (trained once, then
    loaded from the cache).

    Parameters
    ----------
    cnn_seed : int, optional
        The protocol trains seeds ``0 .. cnn_seeds - 1``.
    quick, seed, config
        As :func:`circuits.protocol.run_protocol` (``cnn_epochs``,
        ``cnn_train_per_category``).
    cache : str, path or False, optional
        :func:`cache_folder`.
    return_history : bool, optional
        Also return the training history (``loss``, ``accuracy`` per epoch).

    Returns
    -------
    torch.nn.Sequential or (torch.nn.Sequential, dict)
    """
    from . import cnn
    cfg = settings(quick, config)
    x, y = training_set(quick, seed, config, cache)
    model, history = cnn.train(x, y, seed=cnn_seed, epochs=cfg["cnn_epochs"],
                               cache_dir=cache_folder(cache), **CNN_TRAIN)
    return (model, history) if return_history else model


def untrained_cnn():
    """The untrained control: the same network at its initial weights (seed 0)."""
    from . import cnn
    return cnn.build_cornet_z(8, seed=0)
