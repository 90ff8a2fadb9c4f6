"""Out-of-distribution image sets: what the circuit and the CNN were not fitted to.

The circuit's templates are imprinted from, and the CNN is trained on, the eight glyph
categories of :data:`circuits.stimuli.CATEGORIES` in the DejaVu fonts at variation
levels V0-V6. None of the sets here is used for imprinting, training or choosing any
setting:

* :func:`novel_glyph_set`: eight other characters (:data:`NOVEL_CATEGORIES`) in
  eight other fonts (:data:`NOVEL_FONTS`: matplotlib's STIX and Computer Modern),
  at level V3 on natural-image crops;
* :func:`photo_set`: crops of photographs with a category contrast
  (:data:`PHOTO_CATEGORIES`), from scikit-image's ``skimage.data`` and
  scikit-learn's two sample images, which install with the package (no download);
* :func:`high_variation_set`: the training categories at a variation beyond V6
  (:data:`HIGH_VARIATION`: larger shifts, scales and rotations, and pixel noise).

:func:`ood_sets` draws all three; :func:`broad_diet` is a category-free diet of
natural crops, textures and other characters to imprint templates from (an option of
the protocol, ``config={"imprinting": "broad"}``). Every image is equalised (mean 0.5, RMS contrast
0.2) as :func:`circuits.stimuli.object_set`'s.
"""
import functools
from collections import OrderedDict

import numpy as np
from scipy import ndimage

from . import stimuli

__all__ = ["NOVEL_CATEGORIES", "NOVEL_FONTS", "PHOTO_CATEGORIES", "HIGH_VARIATION",
           "DIET_CHARACTERS", "novel_glyph_set", "photo_set", "high_variation_set",
           "ood_sets", "broad_diet"]

#: Characters that are not among the training categories.
NOVEL_CATEGORIES = ("B", "D", "H", "M", "T", "Z", "3", "7")
#: matplotlib's bundled fonts that are not among :data:`circuits.stimuli.FONTS`.
NOVEL_FONTS = ("STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta",
               "cmr10", "cmss10", "cmtt10", "cmb10")
#: Photograph categories and their source images (``skimage.data`` names;
#: ``sklearn:`` for scikit-learn's sample images).
PHOTO_CATEGORIES = OrderedDict([
    ("living things", ("astronaut", "camera", "chelsea", "cat", "sklearn:flower.jpg")),
    ("textures", ("grass", "gravel", "brick", "moon")),
    ("man-made objects", ("rocket", "clock", "coffee", "coins", "sklearn:china.jpg")),
    ("microscopy and sky", ("cell", "immunohistochemistry", "retina", "hubble_deep_field")),
])
#: Variation beyond V6: position (fraction of the size, +-), scale, rotation (degrees,
#: +-) and the standard deviation of Gaussian pixel noise added before equalisation.
HIGH_VARIATION = {"position": 0.3, "scale": (0.45, 1.3), "rotation": 90.0, "noise": 0.1}


def novel_glyph_set(n_per_category=6, size=32, seed=0):
    """:data:`NOVEL_CATEGORIES` in :data:`NOVEL_FONTS` at level V3, on natural crops.

    Returns
    -------
    images : ndarray, shape (8 n_per_category, size, size)
    labels : ndarray of int
    """
    images, labels, _ = stimuli.object_set(n_per_category, "V3", size, seed=seed,
                                           categories=NOVEL_CATEGORIES, fonts=NOVEL_FONTS)
    return images, labels


def high_variation_set(n_per_category=6, size=32, seed=0):
    """The training categories in every font of :data:`circuits.stimuli.FONTS`, at
    :data:`HIGH_VARIATION`, on natural crops.

    Returns
    -------
    images : ndarray, shape (8 n_per_category, size, size)
    labels : ndarray of int
    """
    rng = np.random.default_rng(seed)
    var = HIGH_VARIATION
    images, labels = [], []
    for c, cat in enumerate(stimuli.CATEGORIES):
        for k in range(n_per_category):
            font = stimuli.FONTS[k % len(stimuli.FONTS)]
            dx, dy = rng.uniform(-1, 1, 2) * var["position"] * size
            alpha = stimuli._place(stimuli.glyph_mask(cat, font), size, dx, dy,
                                   rng.uniform(*var["scale"]),
                                   rng.uniform(-1, 1) * var["rotation"])
            bg = stimuli._crop(rng, size)
            bg = 0.35 + 0.12 * (bg - bg.mean()) / max(bg.std(), 1e-9)
            img = bg * (1 - alpha) + 0.9 * alpha + rng.normal(0, var["noise"], alpha.shape)
            images.append(stimuli.equalize(img))
            labels.append(c)
    return np.stack(images), np.array(labels)


@functools.lru_cache(maxsize=1)
def _photos():
    """Each photograph category's source images, grey in [0, 1] (those available)."""
    import skimage.data as data
    from sklearn.datasets import load_sample_images
    samples = load_sample_images()
    sk = {name.split("/")[-1]: img for name, img in zip(samples.filenames, samples.images)}
    out = OrderedDict()
    for cat, names in PHOTO_CATEGORIES.items():
        imgs = []
        for name in names:
            if name.startswith("sklearn:"):
                img = sk.get(name[8:])
            else:
                try:
                    img = getattr(data, name)()
                except Exception:       # an image that would need a download: skip it
                    img = None
            if img is not None:
                imgs.append(stimuli._grey(np.asarray(img, float)))
        out[cat] = imgs
    return out


def photo_set(n_per_category=12, size=32, seed=0, zoom_range=(2.0, 5.0)):
    """Crops of photographs, labelled by :data:`PHOTO_CATEGORIES`.

    Each crop takes a random source image of its category, a random square of side
    ``size`` x a zoom drawn from ``zoom_range``, resampled to ``size``, flipped at
    random; then equalised.

    Returns
    -------
    images : ndarray, shape (4 n_per_category, size, size)
    labels : ndarray of int
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for c, srcs in enumerate(_photos().values()):
        for _ in range(n_per_category):
            src = srcs[rng.integers(len(srcs))]
            side = min(int(round(size * rng.uniform(*zoom_range))), *src.shape)
            y0 = rng.integers(0, src.shape[0] - side + 1)
            x0 = rng.integers(0, src.shape[1] - side + 1)
            patch = ndimage.zoom(src[y0:y0 + side, x0:x0 + side], size / side, order=1,
                                 prefilter=False)[:size, :size]
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            images.append(stimuli.equalize(patch))
            labels.append(c)
    return np.stack(images), np.array(labels)


#: Characters of the broad imprinting diet: neither training nor novel categories.
DIET_CHARACTERS = tuple(c for c in "CFGJLNPQUVWY25689"
                        if c not in stimuli.CATEGORIES + NOVEL_CATEGORIES)


def broad_diet(n=32, size=32, seed=0):
    """A category-free image diet to imprint templates from, as HMAX imprints S2 from
    natural images: a third natural crops, a third textures (the grass, gravel and
    brick images), a third glyphs of :data:`DIET_CHARACTERS` in the training fonts at
    level V3, none of the protocol's categories nor of the out-of-distribution sets'.

    Returns
    -------
    ndarray, shape (n, size, size)
    """
    import skimage.data as data
    rng = np.random.default_rng(seed)
    k = n // 3
    crops = stimuli.natural_crops(k, size, seed=seed)
    textures = [stimuli._grey(np.asarray(getattr(data, t)(), float))
                for t in ("grass", "gravel", "brick")]
    tex = []
    for _ in range(k):
        src = textures[rng.integers(len(textures))]
        side = int(round(size * rng.uniform(1.0, 3.0)))
        y0, x0 = (rng.integers(0, d - side + 1) for d in src.shape)
        tex.append(stimuli.equalize(ndimage.zoom(src[y0:y0 + side, x0:x0 + side],
                                                 size / side, order=1,
                                                 prefilter=False)[:size, :size]))
    glyphs = [stimuli.object_image(DIET_CHARACTERS[rng.integers(len(DIET_CHARACTERS))],
                                   stimuli.FONTS[rng.integers(6)], size, "V3", rng)[0]
              for _ in range(n - 2 * k)]
    return np.concatenate([crops, np.stack(tex), np.stack(glyphs)])


def ood_sets(n_per_category=6, size=32, seed=0, which=("novel glyphs", "photographs",
                                                        "high variation")):
    """The out-of-distribution sets, ``{name: (images, labels)}``.

    ``n_per_category`` images per category (the photographs, with half as many
    categories, get twice as many); seeds ``seed``, ``seed + 1``, ``seed + 2``.
    """
    draw = {"novel glyphs": lambda s: novel_glyph_set(n_per_category, size, s),
            "photographs": lambda s: photo_set(2 * n_per_category, size, s),
            "high variation": lambda s: high_variation_set(n_per_category, size, s)}
    unknown = [w for w in which if w not in draw]
    if unknown:
        raise ValueError(f"which contains {unknown}; known sets: {list(draw)}")
    return OrderedDict((name, draw[name](seed + k)) for k, name in enumerate(draw)
                       if name in which)
