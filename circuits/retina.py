"""Retina/LGN: ON and OFF centre-surround channels with contrast gain control.

The outer retina (photoreceptors, horizontal and bipolar cells) works with graded
potentials, not spikes, so it is computed on the image (:func:`encode`): a
balanced difference of Gaussians (centre minus surround, each normalised to one)
split into an ON (positive part) and an OFF channel (negative part), each
saturating as ``p_max * r / (r + c50)``. These bipolar signals are the circuit's
input: they become spikes by rate (``neurosim.PoissonGroup``, probability per step
equal to the activity) or by latency (one spike, earlier for stronger signals;
Thorpe & Gautrais 1998, Masquelier & Thorpe 2007).

The spiking part, :func:`build_retina`:

``retina_on``, ``retina_off`` (excitatory)
    Ganglion cells, one per pixel and polarity, pooling the bipolar spikes of
    their centre (a Gaussian of width ``sigma_ganglion``).
``retina_pool`` (inhibitory)
    Contrast gain control: amacrine-like cells on a coarse grid, excited by the
    ganglion cells of both polarities around them (the local contrast energy),
    inhibiting the same cells (Shapley & Victor 1978; a subtractive stand-in for
    divisive gain control, Mante et al. 2008).
"""
import numpy as np
from scipy import ndimage

from .description import Population, grid, neighbours

__all__ = ["encode", "input_meta", "build_retina", "dog"]

#: Default parameters of the outer retina (pixels, spikes per step, DoG units).
ENCODING = {"sigma_center": 0.8, "sigma_surround": 2.4, "p_max": 0.5, "c50": 0.04}


def dog(images, sigma_center=0.8, sigma_surround=2.4):
    """Balanced difference of Gaussians of each image (mirror-extended at the border)."""
    imgs = np.asarray(images, float)
    single = imgs.ndim == 2
    imgs = imgs[None] if single else imgs
    out = np.stack([ndimage.gaussian_filter(im, sigma_center, mode="reflect")
                    - ndimage.gaussian_filter(im, sigma_surround, mode="reflect")
                    for im in imgs])
    return out[0] if single else out


def encode(images, sigma_center=0.8, sigma_surround=2.4, p_max=0.5, c50=0.04):
    """Bipolar ON and OFF activities of images: the circuit's input.

    Parameters
    ----------
    images : ndarray, shape (size, size) or (batch, size, size)
        Luminance in [0, 1].
    sigma_center, sigma_surround : float, optional
        Widths of the difference of Gaussians, in pixels.
    p_max : float, optional
        Largest activity (spike probability per step).
    c50 : float, optional
        Response (in luminance units) at which a channel is half saturated.

    Returns
    -------
    ndarray, shape (batch, 2 * size * size)
        ON activities of the pixels (row by row), then OFF.
    """
    imgs = np.asarray(images, float)
    single = imgs.ndim == 2
    r = dog(imgs[None] if single else imgs, sigma_center, sigma_surround)
    r = r.reshape(r.shape[0], -1)
    on, off = np.maximum(r, 0), np.maximum(-r, 0)
    out = p_max * np.concatenate([on / (on + c50), off / (off + c50)], axis=1)
    return out[0] if single else out


def input_meta(size, sigma_center=0.8):
    """Metadata of the bipolar input: ``x``, ``y``, ``polarity`` (+1 ON, -1 OFF), ``rf_size``."""
    xs = np.arange(size, dtype=float)
    y, x = np.meshgrid(xs, xs, indexing="ij")
    n = size * size
    return {"x": np.tile(x.ravel(), 2), "y": np.tile(y.ravel(), 2),
            "polarity": np.repeat([1, -1], n),
            "rf_size": np.full(2 * n, 4 * sigma_center + 1)}


def build_retina(circuit, sigma_ganglion=0.7, pool_stride=4, pool_sigma=3.0,
                 gain_control=0.5, rate=0.08, peak=0.5):
    """Add the ganglion cells and the gain-control pool to ``circuit``.

    Parameters
    ----------
    circuit : circuits.core.Circuit
        Its input must be the bipolar layer (:func:`input_meta`). Thresholds and
        gains are calibrated on its ``"calibration"`` batch, or taken from
        ``circuit.learned``.
    sigma_ganglion : float, optional
        Width of a ganglion cell's pooling of bipolar cells, in pixels.
    pool_stride : int, optional
        Spacing of the gain-control pool cells, in pixels.
    pool_sigma : float, optional
        Width of a pool cell's neighbourhood, in pixels.
    gain_control : float, optional
        Strength of the pool's inhibition (0 switches gain control off).
    rate, peak : float, optional
        Calibration of the ganglion cells (:meth:`Circuit.calibrate`).

    Returns
    -------
    dict
        ``populations`` (names, in order) and the parameters of the receptive fields.
    """
    size = circuit.size
    n = size * size
    inp = circuit.populations["input"]
    xy = np.column_stack([inp.meta["x"][:n], inp.meta["y"][:n]])
    i, j, dx, dy = neighbours(xy, xy, radius=max(1, int(np.ceil(2 * sigma_ganglion))))
    w = np.exp(-(dx ** 2 + dy ** 2) / (2 * sigma_ganglion ** 2))
    w /= np.bincount(j, w, minlength=n)[j]
    rf = float(inp.meta["rf_size"][0]) + 4 * sigma_ganglion
    for name, sign, offset in (("retina_on", 1, 0), ("retina_off", -1, n)):
        circuit.add(Population(name, "retina", n, "excitatory", 0.0, {
            "x": xy[:, 0], "y": xy[:, 1], "rf_size": np.full(n, rf),
            "polarity": np.full(n, sign)}))
        circuit.connect("input", name, "excitatory", i + offset, j, w)
        circuit.calibrate(name, rate, peak)
    # contrast gain control
    cxy = np.array([(x, y) for y in grid(size, pool_stride) for x in grid(size, pool_stride)])
    npool = len(cxy)
    circuit.add(Population("retina_pool", "retina", npool, "inhibitory", 0.0, {
        "x": cxy[:, 0], "y": cxy[:, 1], "rf_size": np.full(npool, 4 * pool_sigma + 1)}))
    pi, pj, dx, dy = neighbours(xy, cxy, radius=np.ceil(2 * pool_sigma))
    g = np.exp(-(dx ** 2 + dy ** 2) / (2 * pool_sigma ** 2))
    g /= np.bincount(pj, g, minlength=npool)[pj]
    for name in ("retina_on", "retina_off"):
        circuit.connect(name, "retina_pool", "excitatory", pi, pj, 0.5 * g)
    circuit.calibrate("retina_pool", 0.2, peak)
    if gain_control > 0:
        gain = circuit.learned["retina_pool"][0]
        back = g / np.bincount(pi, g, minlength=n)[pi]     # each cell's inhibition sums to 1
        for name in ("retina_on", "retina_off"):
            # pool activity / gain ~ the mean activity of the cells around
            circuit.connect("retina_pool", name, "inhibitory", pj, pi,
                            gain_control / gain * back)
    return {"populations": ["retina_on", "retina_off", "retina_pool"],
            "sigma_ganglion": sigma_ganglion, "pool_stride": pool_stride}
