"""Visual stimuli, made offline and deterministically from a seed, and their spike codes.

Every image is a float array in ``[0, 1]`` (0 black, 1 white), indexed
``image[y, x]`` with ``y`` growing downwards. Orientations are in degrees in
``[0, 180)``, counter-clockwise in the image as displayed, and name the axis
along which luminance is modulated (the normal to a grating's stripes); a
Gabor of orientation ``theta`` (``circuits.v1``) uses the same convention, so a
cell's preferred orientation is the grating orientation that drives it best.

Sets (``docs``: the visual-pathway plan, section 1):

* :func:`grating`, :func:`grating_set`: sinusoidal gratings (orientation,
  spatial frequency, phase, contrast);
* :func:`bar`: a light or dark bar;
* :func:`object_set`: 8 glyph categories x 8 DejaVu fonts pasted on crops of
  natural images, at variation levels ``"V0"``, ``"V3"``, ``"V6"``;
* :func:`natural_crops`: random crops of the bundled natural images;
* :func:`digits`: scikit-learn's 8x8 digits, upsampled.

Only images that ship inside installed packages are used: scikit-image's
``skimage.data`` (and scikit-learn's two sample photos), matplotlib's DejaVu
fonts. Nothing is downloaded.

Spike codes: :func:`to_rates` (Poisson rates for ``neurosim.PoissonGroup``) and
:func:`to_latencies` (one spike per pixel, earlier for stronger input, for
``neurosim.SpikeGeneratorGroup``).
"""
import functools
import os

import numpy as np
from scipy import ndimage

__all__ = ["grating", "grating_set", "bar", "glyph_mask", "object_image", "object_set",
           "natural_images", "natural_crops", "digits", "equalize", "to_rates",
           "to_latencies", "poisson_group", "latency_group", "CATEGORIES", "FONTS",
           "VARIATION_LEVELS"]

#: The eight glyph categories of the object set.
CATEGORIES = ("A", "E", "K", "O", "R", "S", "X", "4")

#: Eight of matplotlib's bundled DejaVu fonts (file names in ``mpl-data/fonts/ttf``).
FONTS = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
         "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSansMono")

#: Ranges of the variation levels: position (fraction of the image size, +-),
#: scale (relative to V0's glyph height) and rotation (degrees, +-).
VARIATION_LEVELS = {
    "V0": {"position": 0.0, "scale": (1.0, 1.0), "rotation": 0.0},
    "V3": {"position": 0.15, "scale": (0.8, 1.1), "rotation": 15.0},
    "V6": {"position": 0.25, "scale": (0.6, 1.2), "rotation": 45.0},
}

# Natural images of scikit-image that ship with the package (no download).
_NATURAL = ("camera", "astronaut", "coffee", "chelsea", "coins", "moon", "rocket", "grass",
            "gravel", "brick", "clock", "hubble_deep_field", "immunohistochemistry", "cell",
            "cat")

_MEAN, _CONTRAST = 0.5, 0.2      # luminance and RMS contrast after equalisation
_GLYPH_HEIGHT = 0.5              # glyph height at scale 1, as a fraction of the image


def _coords(size):
    """Pixel-centre coordinates (x right, y up, origin at the image centre)."""
    c = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size].astype(float)
    return x - c, c - y


def grating(size, orientation, spatial_frequency, phase=0.0, contrast=1.0, mean=0.5):
    """A sinusoidal grating.

    Parameters
    ----------
    size : int
        Width and height in pixels.
    orientation : float
        Axis of the luminance modulation, in degrees (0: vertical stripes).
    spatial_frequency : float
        Cycles per pixel, in (0, 0.5].
    phase : float, optional
        Phase at the image centre, in degrees.
    contrast : float, optional
        Michelson contrast in [0, 1].
    mean : float, optional
        Mean luminance.

    Returns
    -------
    ndarray, shape (size, size)

    Examples
    --------
    >>> from circuits import stimuli
    >>> g = stimuli.grating(32, orientation=45, spatial_frequency=0.125)
    >>> g.shape, round(float(g.mean()), 2)
    ((32, 32), 0.5)
    """
    if not 0 < spatial_frequency <= 0.5:
        raise ValueError(f"spatial_frequency={spatial_frequency!r} must be in (0, 0.5] "
                         "cycles per pixel")
    x, y = _coords(size)
    th = np.deg2rad(orientation)
    u = x * np.cos(th) + y * np.sin(th)
    img = mean * (1.0 + contrast * np.cos(2 * np.pi * spatial_frequency * u
                                          + np.deg2rad(phase)))
    return np.clip(img, 0.0, 1.0)


def grating_set(size, orientations=12, spatial_frequencies=(0.25, 0.125), phases=4,
                contrast=1.0):
    """All combinations of orientations, spatial frequencies and phases.

    Parameters
    ----------
    size : int
    orientations : int or sequence of float
        A number ``n`` gives ``n`` orientations evenly spaced over [0, 180).
    spatial_frequencies : sequence of float
        Cycles per pixel.
    phases : int or sequence of float
        A number ``n`` gives ``n`` phases evenly spaced over [0, 360).
    contrast : float, optional

    Returns
    -------
    images : ndarray, shape (n, size, size)
    params : dict of ndarray
        ``orientation``, ``spatial_frequency``, ``phase`` of each image.
    """
    ori = np.arange(orientations) * 180.0 / orientations if np.isscalar(orientations) \
        else np.asarray(orientations, float)
    ph = np.arange(phases) * 360.0 / phases if np.isscalar(phases) \
        else np.asarray(phases, float)
    o, f, p = (a.ravel() for a in np.meshgrid(ori, np.asarray(spatial_frequencies, float), ph,
                                              indexing="ij"))
    images = np.stack([grating(size, a, b, c, contrast) for a, b, c in zip(o, f, p)])
    return images, {"orientation": o, "spatial_frequency": f, "phase": p}


def bar(size, orientation, length=None, width=2.0, position=(0.0, 0.0), polarity=1,
        contrast=1.0, mean=0.5):
    """A bar of light (``polarity=1``) or dark (``-1``) on a uniform background.

    ``orientation`` is the axis across the bar (the convention of gratings: a bar of
    orientation 0 is vertical); ``position`` is its centre relative to the image
    centre, in pixels ``(x right, y up)``.
    """
    length = size / 2.0 if length is None else length
    x, y = _coords(size)
    th = np.deg2rad(orientation)
    u = (x - position[0]) * np.cos(th) + (y - position[1]) * np.sin(th)
    v = -(x - position[0]) * np.sin(th) + (y - position[1]) * np.cos(th)
    # anti-aliased edges: a one-pixel ramp
    inside = np.clip(width / 2.0 + 0.5 - np.abs(u), 0, 1) * np.clip(length / 2.0 + 0.5
                                                                      - np.abs(v), 0, 1)
    return np.clip(mean * (1.0 + polarity * contrast * inside), 0.0, 1.0)


def equalize(image, mean=_MEAN, contrast=_CONTRAST):
    """Set the mean luminance and the RMS contrast (std / mean) of an image; clip to [0, 1]."""
    img = np.asarray(image, float)
    sd = img.std()
    out = (img - img.mean()) / sd * (contrast * mean) if sd > 0 else np.zeros_like(img)
    return np.clip(out + mean, 0.0, 1.0)


# ------------------------------------------------------------------- natural images
@functools.lru_cache(maxsize=1)
def natural_images():
    """The bundled natural images as grey float arrays in [0, 1] (a tuple).

    scikit-image's images that need no download, else scikit-learn's two sample
    photos. Raises ``ImportError`` when neither package is installed.
    """
    out = []
    try:
        import skimage.data as data
    except ImportError:
        data = None
    if data is not None:
        for name in _NATURAL:
            try:
                img = np.asarray(getattr(data, name)(), dtype=float)
            except Exception:        # an image that would need a download: skip it
                continue
            out.append(_grey(img))
    if not out:
        try:
            from sklearn.datasets import load_sample_images
        except ImportError:
            raise ImportError("natural images need scikit-image or scikit-learn: "
                              "pip install scikit-image scikit-learn") from None
        out = [_grey(np.asarray(im, float)) for im in load_sample_images().images]
    return tuple(out)


def _grey(img):
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114])
    img = img - img.min()
    return img / img.max() if img.max() > 0 else img


def _crop(rng, size, zoom_range=(1.0, 3.0)):
    """A random crop of a random natural image, resampled to size x size."""
    images = natural_images()
    src = images[rng.integers(len(images))]
    side = int(round(size * rng.uniform(*zoom_range)))
    side = min(side, *src.shape)
    y0 = rng.integers(0, src.shape[0] - side + 1)
    x0 = rng.integers(0, src.shape[1] - side + 1)
    patch = src[y0:y0 + side, x0:x0 + side]
    if side != size:
        patch = ndimage.zoom(patch, size / side, order=1, prefilter=False)[:size, :size]
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return patch


def natural_crops(n, size=64, seed=0, zoom_range=(1.0, 3.0)):
    """``n`` random crops of the bundled natural images, equalised (mean 0.5, RMS 0.2).

    Parameters
    ----------
    n : int
    size : int, optional
    seed : int, optional
    zoom_range : (float, float), optional
        Side of the crop relative to ``size`` before it is resampled.

    Returns
    -------
    ndarray, shape (n, size, size)
    """
    rng = np.random.default_rng(seed)
    return np.stack([equalize(_crop(rng, size, zoom_range)) for _ in range(n)])


# -------------------------------------------------------------------------- glyphs
@functools.lru_cache(maxsize=64)
def glyph_mask(character, font="DejaVuSans", resolution=128):
    """Coverage mask of one character in one bundled font, cropped to its ink.

    Rendered with matplotlib's FreeType wrapper at ``resolution`` pixels per em;
    returns a float array in [0, 1].
    """
    import matplotlib
    from matplotlib.ft2font import FT2Font
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", font + ".ttf")
    if not os.path.exists(path):
        raise ValueError(f"font={font!r} is not among matplotlib's bundled fonts; use one "
                         f"of {FONTS}")
    ft = FT2Font(path)
    ft.set_size(resolution, 72)
    ft.set_text(character, 0.0)
    ft.draw_glyphs_to_bitmap(antialiased=True)
    mask = np.asarray(ft.get_image(), dtype=float) / 255.0
    rows, cols = np.flatnonzero(mask.sum(1) > 0), np.flatnonzero(mask.sum(0) > 0)
    return mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _place(mask, size, dx, dy, scale, rotation, supersample=2):
    """Render ``mask`` into a size x size canvas: centred, scaled so its height is
    ``_GLYPH_HEIGHT * scale * size``, rotated (degrees, counter-clockwise), shifted by
    (dx, dy) pixels (x right, y up)."""
    big = size * supersample
    h, w = mask.shape
    zoom = _GLYPH_HEIGHT * scale * big / h            # canvas pixels per mask pixel
    th = np.deg2rad(rotation)
    c = (big - 1) / 2.0
    yy, xx = np.mgrid[0:big, 0:big].astype(float)
    # canvas -> glyph frame: shift, rotate back, unscale
    u = (xx - c - dx * supersample)
    v = (c - yy - dy * supersample)
    ur = np.cos(th) * u + np.sin(th) * v
    vr = -np.sin(th) * u + np.cos(th) * v
    mx = ur / zoom + (w - 1) / 2.0
    my = -vr / zoom + (h - 1) / 2.0
    out = ndimage.map_coordinates(mask, [my, mx], order=1, cval=0.0)
    return out.reshape(size, supersample, size, supersample).mean(axis=(1, 3))


def object_image(category, font, size=64, level="V0", rng=None, background=True):
    """One glyph object: a character of a font on a natural-image crop.

    Parameters
    ----------
    category : str
        The character, e.g. ``"A"``.
    font : str
        One of :data:`FONTS` (any matplotlib-bundled TrueType name works).
    size : int, optional
    level : {'V0', 'V3', 'V6'}, optional
        Variation level (:data:`VARIATION_LEVELS`).
    rng : numpy.random.Generator, optional
        Draws position, scale, rotation and background; default seed 0.
    background : bool, optional
        Paste on a natural-image crop (default) or on uniform grey.

    Returns
    -------
    image : ndarray, shape (size, size)
        Equalised: mean 0.5, RMS contrast 0.2.
    params : dict
        ``dx``, ``dy`` (pixels), ``scale``, ``rotation`` (degrees).
    """
    if level not in VARIATION_LEVELS:
        raise ValueError(f"level={level!r} must be one of {sorted(VARIATION_LEVELS)}")
    rng = np.random.default_rng(0) if rng is None else rng
    var = VARIATION_LEVELS[level]
    dx, dy = rng.uniform(-1, 1, 2) * var["position"] * size
    scale = rng.uniform(*var["scale"])
    rotation = rng.uniform(-1, 1) * var["rotation"]
    alpha = _place(glyph_mask(category, font), size, dx, dy, scale, rotation)
    if background:
        bg = _crop(rng, size)
        bg = 0.35 + 0.12 * (bg - bg.mean()) / max(bg.std(), 1e-9)
    else:
        bg = np.full((size, size), 0.35)
    img = bg * (1 - alpha) + 0.9 * alpha
    return equalize(img), {"dx": dx, "dy": dy, "scale": scale, "rotation": rotation}


def object_set(n_per_category=8, level="V0", size=64, seed=0, categories=CATEGORIES,
               fonts=FONTS, background=True):
    """The glyph object set: ``n_per_category`` images of each category.

    Fonts cycle over ``fonts`` (so ``n_per_category = len(fonts)`` gives each font
    once per category); every image draws its own position, scale, rotation and
    background from ``seed``.

    Returns
    -------
    images : ndarray, shape (n, size, size)
    labels : ndarray of int, shape (n,)
        Index into ``categories``.
    params : dict of ndarray
        ``font`` (index into ``fonts``), ``dx``, ``dy``, ``scale``, ``rotation``.

    Examples
    --------
    >>> from circuits import stimuli
    >>> images, labels, params = stimuli.object_set(2, "V3", size=32, seed=1)
    >>> images.shape, labels[:4].tolist()
    ((16, 32, 32), [0, 0, 1, 1])
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    params = {"font": [], "dx": [], "dy": [], "scale": [], "rotation": []}
    for c, cat in enumerate(categories):
        for k in range(n_per_category):
            f = k % len(fonts)
            img, p = object_image(cat, fonts[f], size, level, rng, background)
            images.append(img)
            labels.append(c)
            params["font"].append(f)
            for key, val in p.items():
                params[key].append(val)
    return (np.stack(images), np.array(labels),
            {k: np.array(v) for k, v in params.items()})


def digits(n=None, size=32, seed=0):
    """scikit-learn's 8x8 handwritten digits, upsampled to ``size`` and equalised.

    Parameters
    ----------
    n : int, optional
        Number of images, drawn without replacement (all 1797 by default).
    size : int, optional
    seed : int, optional

    Returns
    -------
    images : ndarray, shape (n, size, size)
    labels : ndarray of int
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits need scikit-learn: pip install scikit-learn") from None
    d = load_digits()
    idx = np.arange(len(d.target))
    if n is not None:
        idx = np.sort(np.random.default_rng(seed).choice(idx, n, replace=False))
    imgs = d.images[idx] / 16.0
    pad = np.pad(imgs, ((0, 0), (1, 1), (1, 1)))          # a margin around the digit
    up = np.stack([ndimage.zoom(im, size / pad.shape[1], order=1)[:size, :size]
                   for im in pad])
    return np.stack([equalize(im) for im in up]), d.target[idx].copy()


# ---------------------------------------------------------------------- spike codes
def to_rates(image, max_rate=200.0, min_rate=0.0):
    """Poisson rates (Hz, flattened row by row) proportional to luminance.

    ``rate = min_rate + (max_rate - min_rate) * image``; pixel ``k`` of a flattened
    image is ``image[k // width, k % width]``.
    """
    img = np.clip(np.asarray(image, float), 0.0, 1.0).ravel()
    return min_rate + (max_rate - min_rate) * img


def to_latencies(image, t_max=0.02, threshold=0.05, t_min=0.0):
    """Rank-order (latency) code: one spike per pixel, earlier for brighter pixels.

    A pixel of luminance ``l`` fires at ``t_min + (1 - l) * (t_max - t_min)`` seconds;
    pixels below ``threshold`` stay silent (Thorpe & Gautrais 1998).

    Returns
    -------
    indices : ndarray of int
        Flattened pixel index of each spike, in order of time.
    times : ndarray of float
        Spike times in seconds.
    """
    img = np.clip(np.asarray(image, float), 0.0, 1.0).ravel()
    idx = np.flatnonzero(img >= threshold)
    t = t_min + (1.0 - img[idx]) * (t_max - t_min)
    order = np.argsort(t, kind="stable")
    return idx[order], t[order]


def poisson_group(image, max_rate=200.0, name="photoreceptors"):
    """A ``neurosim.PoissonGroup`` firing at :func:`to_rates` of ``image``."""
    import neurosim as ns
    from neurosim.units import Hz
    rates = to_rates(image, max_rate)
    return ns.PoissonGroup(rates.size, rates * Hz, name=name)


def latency_group(image, t_max=0.02, threshold=0.05, name="photoreceptors"):
    """A ``neurosim.SpikeGeneratorGroup`` emitting the :func:`to_latencies` code."""
    import neurosim as ns
    from neurosim.units import second
    idx, t = to_latencies(image, t_max, threshold)
    return ns.SpikeGeneratorGroup(np.asarray(image).size, idx, t * second, name=name)
