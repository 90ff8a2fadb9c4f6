"""Non-spiking anchors: a Gabor V1 bank and HMAX (S1, C1, S2, C2).

HMAX follows Riesenhuber & Poggio (1999) with the parameters of Serre et al. (2007):

* **S1**: Gabor filters at 4 orientations and 2 sizes per band, the absolute normalised
  dot product with the image patch, ``|<g, x>| / ||x||``;
* **C1**: per band, the maximum over its two sizes and over a grid of overlapping
  ``N x N`` neighbourhoods (step ``N / 2``);
* **S2**: Gaussian radial-basis units tuned to C1 patches (all orientations) imprinted
  at random from training images, evaluated at every position of every band;
* **C2**: each S2 template's maximum over positions and bands.

The stages are the comparators of the circuit's areas (:data:`AREAS`: S1 for V1, C1 for
V2, S2 for V4, C2 for IT). The Gabor bank (:func:`gabor_kernels`, :func:`gabor_bank`,
:func:`gabor_responses`) is the V1 stage alone, with simple (half-rectified) and complex
(quadrature energy) responses.

Conventions are those of :mod:`circuits.stimuli`: images ``image[y, x]`` with ``y``
growing downwards; a filter's orientation is the axis along which it modulates, in
degrees counter-clockwise in the image as displayed, so a Gabor of orientation ``theta``
matches a grating of orientation ``theta``. Responses are correlations (the kernel is
not flipped). Numpy and scipy only; filtering is done by ``scipy.signal.fftconvolve``
over batches of images.

References
----------
Riesenhuber, M. & Poggio, T. (1999). Hierarchical models of object recognition in
cortex. Nat. Neurosci. 2, 1019-1025.
Serre, T., Wolf, L., Bileschi, S., Riesenhuber, M. & Poggio, T. (2007). Robust object
recognition with cortex-like mechanisms. IEEE PAMI 29, 411-426.
"""
import numpy as np
from scipy import signal
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["gabor_kernels", "gabor_bank", "filter_images", "gabor_responses",
           "serre_bands", "HMAX", "AREAS"]

#: Which HMAX stage stands for which area.
AREAS = {"V1": "S1", "V2": "C1", "V4": "S2", "IT": "C2"}


def _kernel_coords(size):
    """Coordinates of a size x size kernel: x right, y up, origin at its centre."""
    c = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size].astype(float)
    return x - c, c - y


def gabor_kernels(orientation, wavelength, phase=0.0, sigma=None, gamma=0.7, size=None,
                  circular=False):
    """Gabor kernels, one per element of the (broadcast) parameter arrays.

    .. math::

        g(x, y) = \\exp\\Big(-\\frac{u^2 + \\gamma^2 v^2}{2\\sigma^2}\\Big)
                  \\cos\\Big(\\frac{2\\pi u}{\\lambda} + \\phi\\Big),\\quad
        u = x\\cos\\theta + y\\sin\\theta,\\ v = -x\\sin\\theta + y\\cos\\theta

    made zero-mean and unit-norm (over the circular support when ``circular``).

    Parameters
    ----------
    orientation : float or array_like
        ``theta``, degrees: the axis of modulation (the grating convention of
        :mod:`circuits.stimuli`).
    wavelength : float or array_like
        ``lambda``, pixels per cycle (spatial frequency ``1 / lambda`` cycles per pixel).
    phase : float or array_like, optional
        ``phi``, degrees: 0 even (a light bar on the centre line), 90 odd.
    sigma : float or array_like, optional
        Envelope width across the stripes, pixels; default ``0.4 * wavelength``, a
        spatial-frequency bandwidth of about 1.5 octaves (``0.56 * wavelength`` gives
        one octave). The defaults of ``sigma`` and ``gamma`` are those of
        ``circuits.v1.gabor``.
    gamma : float or array_like, optional
        Aspect ratio: the envelope is ``sigma / gamma`` long along the stripes.
    size : int, optional
        Side of the square kernels (odd); default covers 2.5 envelope widths each side
        of the largest filter.
    circular : bool, optional
        Zero outside the inscribed circle (as in Serre et al. 2007).

    Returns
    -------
    kernels : ndarray, shape (n, size, size)
    params : dict of ndarray
        ``orientation``, ``wavelength``, ``phase``, ``sigma``, ``gamma`` per kernel.

    Examples
    --------
    >>> from circuits import hmax
    >>> k, p = hmax.gabor_kernels([0, 90], 8.0)
    >>> k.shape, p["orientation"].tolist()
    ((2, 25, 25), [0.0, 90.0])
    """
    if sigma is None:
        sigma = 0.4 * np.asarray(wavelength, float)
    th, lam, ph, sg, gm = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, float))
                                                for a in (orientation, wavelength, phase,
                                                          sigma, gamma)))
    if np.any(lam <= 0) or np.any(sg <= 0) or np.any(gm <= 0):
        raise ValueError("wavelength, sigma and gamma must be > 0")
    if size is None:
        size = 2 * int(np.ceil(2.5 * np.max(sg / np.minimum(gm, 1.0)))) + 1
    x, y = _kernel_coords(size)
    t = np.deg2rad(th)[:, None, None]
    u = x * np.cos(t) + y * np.sin(t)
    v = -x * np.sin(t) + y * np.cos(t)
    s2 = (2 * sg ** 2)[:, None, None]
    g = np.exp(-(u ** 2 + (gm[:, None, None] * v) ** 2) / s2) \
        * np.cos(2 * np.pi * u / lam[:, None, None] + np.deg2rad(ph)[:, None, None])
    mask = (x ** 2 + y ** 2 <= (size / 2.0) ** 2) if circular else np.ones_like(x, bool)
    g = np.where(mask, g, 0.0)
    g -= np.where(mask, g.sum(axis=(1, 2), keepdims=True) / mask.sum(), 0.0)
    g /= np.linalg.norm(g.reshape(len(g), -1), axis=1)[:, None, None]
    params = {"orientation": th.copy(), "wavelength": lam.copy(), "phase": ph.copy(),
              "sigma": sg.copy(), "gamma": gm.copy()}
    return g, params


def gabor_bank(orientations=8, wavelengths=(4.0, 8.0), phases=(0.0, 90.0), gamma=0.7,
               sigma_ratio=0.4, size=None):
    """Every combination of orientations, wavelengths and phases (:func:`gabor_kernels`).

    ``orientations`` may be a number ``n`` (evenly spaced over [0, 180)); the envelope
    width is ``sigma_ratio * wavelength``. Kernels are ordered orientation-major, then
    wavelength, then phase.
    """
    ori = np.arange(orientations) * 180.0 / orientations if np.isscalar(orientations) \
        else np.asarray(orientations, float)
    o, w, p = (a.ravel() for a in np.meshgrid(ori, np.asarray(wavelengths, float),
                                              np.asarray(phases, float), indexing="ij"))
    return gabor_kernels(o, w, p, sigma=sigma_ratio * w, gamma=gamma, size=size)


def _as_images(images):
    img = np.asarray(images, float)
    if img.ndim == 2:
        img = img[None]
    if img.ndim != 3:
        raise ValueError(f"images of shape {img.shape} must be (n, height, width)")
    return img


def filter_images(images, kernels, padding="reflect", chunk=32):
    """Correlate every image with every kernel (same-size output), by FFT.

    Parameters
    ----------
    images : array_like, shape (n, height, width)
    kernels : array_like, shape (n_kernels, k, k)
        Odd ``k``; ``k // 2`` must be smaller than the image sides for reflection.
    padding : str, optional
        ``numpy.pad`` mode for the borders (``"reflect"``, ``"constant"`` for zeros...).
    chunk : int, optional
        Images filtered at once (bounds memory).

    Returns
    -------
    ndarray, shape (n, n_kernels, height, width)
    """
    img = _as_images(images)
    ker = np.asarray(kernels, float)[:, ::-1, ::-1]          # correlation, not convolution
    half = ker.shape[-1] // 2
    out = np.empty((len(img), len(ker)) + img.shape[1:])
    for a in range(0, len(img), chunk):
        block = np.pad(img[a:a + chunk], ((0, 0), (half, half), (half, half)), mode=padding)
        out[a:a + chunk] = signal.fftconvolve(block[:, None], ker[None], mode="valid",
                                              axes=(-2, -1))
    return out


def _subsample(maps, stride):
    off = (stride - 1) // 2
    return maps[..., off::stride, off::stride]


def gabor_responses(images, orientations=8, wavelengths=(4.0, 8.0), gamma=0.7,
                    sigma_ratio=0.4, stride=4, padding="reflect", size=None):
    """The Gabor V1 bank's responses: simple and complex cells on a grid.

    Each orientation and wavelength has an even and an odd filter. Simple cells are the
    half-rectified responses of both filters and both signs (4 phases: 0, 90, 180,
    270 degrees); complex cells the quadrature energy ``sqrt(even^2 + odd^2)``. Images
    are centred on their mean first (the filters are zero-mean, so only borders see it).

    Parameters
    ----------
    images : array_like, shape (n, height, width)
    orientations : int or sequence of float, optional
    wavelengths : sequence of float, optional
        Pixels per cycle.
    gamma, sigma_ratio : float, optional
        See :func:`gabor_kernels`.
    stride : int, optional
        Spacing of the sampling grid, pixels.
    padding : str, optional
    size : int, optional
        Side of the kernels (odd); default as :func:`gabor_kernels` (from the largest
        wavelength).

    Returns
    -------
    dict
        ``"simple"``: ndarray ``(n, n_ori, n_wavelengths, 4, h, w)``;
        ``"complex"``: ndarray ``(n, n_ori, n_wavelengths, h, w)``;
        ``"orientation"``, ``"wavelength"``: the bank's values.
    """
    img = _as_images(images)
    img = img - img.mean(axis=(1, 2), keepdims=True)
    kernels, p = gabor_bank(orientations, wavelengths, (0.0, 90.0), gamma, sigma_ratio, size)
    r = _subsample(filter_images(img, kernels, padding), stride)
    n_o = len(np.unique(p["orientation"]))
    r = r.reshape(len(img), n_o, len(wavelengths), 2, *r.shape[-2:])
    even, odd = r[:, :, :, 0], r[:, :, :, 1]
    simple = np.maximum(np.stack([even, odd, -even, -odd], axis=3), 0.0)
    return {"simple": simple, "complex": np.sqrt(even ** 2 + odd ** 2),
            "orientation": np.unique(p["orientation"]), "wavelength": np.asarray(wavelengths)}


def serre_bands(n_bands=4):
    """The S1/C1 parameters of Serre et al. (2007, table 1), first ``n_bands`` bands.

    Filter sizes ``s`` 7 and 9 (band 1) up to 35 and 37 (band 8);
    ``sigma = 0.0036 s^2 + 0.35 s + 0.18``, ``wavelength = sigma / 0.8``, aspect 0.3;
    C1 pools over ``N = 8, 10, ..., 22`` pixels with step ``N / 2``.

    Returns
    -------
    list of dict
        ``sizes``, ``sigmas``, ``wavelengths`` (two each), ``pool``, ``step``.
    """
    if not 1 <= n_bands <= 8:
        raise ValueError(f"n_bands={n_bands!r} must be in 1..8")
    bands = []
    for b in range(n_bands):
        sizes = np.array([7 + 4 * b, 9 + 4 * b])
        sig = 0.0036 * sizes ** 2 + 0.35 * sizes + 0.18
        bands.append({"sizes": sizes, "sigmas": sig, "wavelengths": sig / 0.8,
                      "pool": 8 + 2 * b, "step": (8 + 2 * b) // 2})
    return bands


def _window_max(maps, pool, step):
    """Max over pool x pool windows every ``step`` pixels of the last two axes (separable)."""
    pool = min(pool, maps.shape[-2], maps.shape[-1])
    m = sliding_window_view(maps, pool, axis=-2)[..., ::step, :, :].max(axis=-1)
    return sliding_window_view(m, pool, axis=-1)[..., ::step, :].max(axis=-1)


def _adaptive_max(maps, grid):
    """Max over a grid x grid partition of the last two axes."""
    h, w = maps.shape[-2:]
    ys = np.linspace(0, h, grid + 1).round().astype(int)
    xs = np.linspace(0, w, grid + 1).round().astype(int)
    out = np.empty(maps.shape[:-2] + (grid, grid))
    for i in range(grid):
        for j in range(grid):
            y1, x1 = max(ys[i + 1], ys[i] + 1), max(xs[j + 1], xs[j] + 1)
            out[..., i, j] = maps[..., ys[i]:y1, xs[j]:x1].max(axis=(-2, -1))
    return out


class HMAX:
    """HMAX with S2 templates imprinted from training images.

    Parameters
    ----------
    n_bands : int, optional
        Bands of Serre et al. (2007) (:func:`serre_bands`); 4 (filters 7 to 21 pixels)
        suits 64 x 64 images.
    orientations : int, optional
        S1 orientations, evenly spaced over [0, 180).
    patch_sizes : sequence of int, optional
        Sides of the S2 templates, in C1 units.
    n_templates : int, optional
        Templates in all, split evenly over ``patch_sizes``.
    sigma : float, optional
        S2 tuning width: ``r = exp(-d2 / (d * sigma^2))`` with ``d2`` the squared
        distance to the template and ``d`` its number of elements; by default chosen
        at :meth:`fit` as the root median of ``d2 / d`` over the positions of (up to 32)
        training images.
    s1_stride : int, optional
        Grid spacing of the S1 features returned by :meth:`features` (pixels).
    s2_grid : int, optional
        S2 features are each template's maximum over bands in each cell of an
        ``s2_grid x s2_grid`` partition of the image (local pooling).
    seed : int, optional
        Draws the imprinted patches.

    Examples
    --------
    >>> from circuits import hmax, stimuli
    >>> train, _, _ = stimuli.object_set(1, "V0", size=48, seed=0)
    >>> model = hmax.HMAX(n_bands=2, n_templates=16).fit(train)
    >>> f = model.features(train[:3])
    >>> {k: v.shape for k, v in f.items()}["C2"]
    (3, 16)
    """

    def __init__(self, n_bands=4, orientations=4, patch_sizes=(2, 4), n_templates=256,
                 sigma=None, s1_stride=4, s2_grid=2, seed=0):
        self.bands = serre_bands(n_bands)
        self.orientations = np.arange(orientations) * 180.0 / orientations
        self.patch_sizes = tuple(int(p) for p in patch_sizes)
        self.n_templates = int(n_templates)
        self.sigma = sigma
        self.s1_stride = int(s1_stride)
        self.s2_grid = int(s2_grid)
        self.seed = seed
        self.templates_ = None                    # {patch size: (k, n_ori, p, p)}
        self._kernels = []
        for band in self.bands:
            ks = [gabor_kernels(self.orientations, lam, 0.0, sigma=sg, gamma=0.3, size=s,
                                circular=True)[0]
                  for s, sg, lam in zip(band["sizes"], band["sigmas"], band["wavelengths"])]
            self._kernels.append(ks)

    # ------------------------------------------------------------------ stages
    def s1(self, images):
        """S1 maps per band: list of ``(n, 2 sizes, n_ori, height, width)`` arrays."""
        img = _as_images(images)
        out = []
        for ks in self._kernels:
            per_size = []
            for k in ks:
                x, y = _kernel_coords(k.shape[-1])
                support = (x ** 2 + y ** 2 <= (k.shape[-1] / 2.0) ** 2)[None] * 1.0
                energy = filter_images(img ** 2, support)[:, 0]
                r = np.abs(filter_images(img, k))
                per_size.append(r / np.sqrt(np.maximum(energy, 1e-12))[:, None])
            out.append(np.stack(per_size, axis=1))
        return out

    def c1(self, s1):
        """C1 maps per band from :meth:`s1`: list of ``(n, n_ori, h_b, w_b)``."""
        return [_window_max(m.max(axis=1), b["pool"], b["step"])
                for m, b in zip(s1, self.bands)]

    def _s2_distances(self, c1, templates):
        """Mean squared distance ``d2 / d`` to each template at each position, per band.

        Returns a list over bands of ``(n, k, h', w')`` arrays (empty maps when the band
        is smaller than the patch).
        """
        k, n_o, p, _ = templates.shape
        t = templates.reshape(k, -1)
        tt = (t ** 2).sum(axis=1)
        out = []
        for m in c1:
            if min(m.shape[-2:]) < p:
                out.append(np.full((len(m), k, 0, 0), np.inf))
                continue
            win = sliding_window_view(m, (p, p), axis=(-2, -1))   # n, o, h', w', p, p
            win = win.transpose(0, 2, 3, 1, 4, 5).reshape(len(m), win.shape[2],
                                                          win.shape[3], -1)
            d2 = (win ** 2).sum(-1)[..., None] - 2 * win @ t.T + tt
            out.append(np.maximum(d2, 0).transpose(0, 3, 1, 2) / t.shape[1])
        return out

    def s2(self, c1):
        """S2 maps: ``{patch size: list over bands of (n, k, h', w')}``."""
        self._check_fitted()
        return {p: [np.exp(-d / self.sigma_ ** 2) for d in self._s2_distances(c1, t)]
                for p, t in self.templates_.items()}

    @staticmethod
    def c2(s2):
        """C2: each template's maximum over positions and bands, ``(n, n_templates)``."""
        cols = []
        for maps in s2.values():
            cols.append(np.max([m.max(axis=(-2, -1)) if m.size else
                                np.zeros(m.shape[:2]) for m in maps], axis=0))
        return np.concatenate(cols, axis=1)

    # ---------------------------------------------------------------- training
    def fit(self, images):
        """Imprint the S2 templates: random C1 patches of random training images.

        Each template takes one image, one band and one position at random (Serre et al.
        2007), with all orientations; then ``sigma`` is set when it was not given.
        Returns ``self``.
        """
        rng = np.random.default_rng(self.seed)
        c1 = self.c1(self.s1(images))
        counts = np.diff(np.linspace(0, self.n_templates, len(self.patch_sizes) + 1)
                         .round().astype(int))
        self.templates_ = {}
        for p, count in zip(self.patch_sizes, counts):
            usable = [b for b, m in enumerate(c1) if min(m.shape[-2:]) >= p]
            if not usable:
                raise ValueError(f"patch size {p} is larger than every C1 map "
                                 f"({[m.shape[-2:] for m in c1]}); use smaller patch_sizes")
            patches = []
            for _ in range(count):
                m = c1[usable[rng.integers(len(usable))]]
                i = rng.integers(len(m))
                y, x = rng.integers(0, m.shape[-2] - p + 1), rng.integers(0, m.shape[-1] - p + 1)
                patches.append(m[i, :, y:y + p, x:x + p])
            self.templates_[p] = np.array(patches)
        if self.sigma is None:                     # from (at most) 32 training images
            few = [m[:32] for m in c1]
            d = np.concatenate([dist.ravel() for p, t in self.templates_.items()
                                for dist in self._s2_distances(few, t)])
            self.sigma_ = float(np.sqrt(np.median(d[np.isfinite(d)])))
        else:
            self.sigma_ = float(self.sigma)
        return self

    def _check_fitted(self):
        if self.templates_ is None:
            raise RuntimeError("HMAX has no S2 templates yet; call fit(training_images) first")

    # ----------------------------------------------------------------- features
    def features(self, images, chunk=64):
        """Every stage as a feature array ``(n_images, n_units)``.

        Returns
        -------
        dict
            ``"S1"``: S1 on a grid of spacing ``s1_stride`` (all bands, sizes,
            orientations); ``"C1"``: all C1 units; ``"S2"``: each template's maximum over
            bands in each cell of an ``s2_grid x s2_grid`` partition; ``"C2"``.
            :data:`AREAS` maps areas to these keys.
        """
        self._check_fitted()
        img = _as_images(images)
        parts = {"S1": [], "C1": [], "S2": [], "C2": []}
        for a in range(0, len(img), chunk):
            s1 = self.s1(img[a:a + chunk])
            c1 = self.c1(s1)
            s2 = self.s2(c1)
            n = len(s1[0])
            parts["S1"].append(np.concatenate([_subsample(m, self.s1_stride).reshape(n, -1)
                                               for m in s1], axis=1))
            parts["C1"].append(np.concatenate([m.reshape(n, -1) for m in c1], axis=1))
            local = [np.max([_adaptive_max(m, self.s2_grid) for m in maps if m.size], axis=0)
                     for maps in s2.values()]
            parts["S2"].append(np.concatenate([m.reshape(n, -1) for m in local], axis=1))
            parts["C2"].append(self.c2(s2))
        return {k: np.concatenate(v).astype(np.float32) for k, v in parts.items()}
