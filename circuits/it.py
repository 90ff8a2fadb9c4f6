"""IT: position-invariant template units.

Each ``it`` unit pools one of V4's templates over *every* position of the image,
max-like through the feedforward inhibition of the gates ``it_gate``
(:func:`circuits.layers.max_pool`): it responds to its template's feature wherever it
appears, so its receptive field spans the whole image and its responses tolerate
changes of position and scale. This is HMAX's C2 stage, with V4's template units as
its S2 (Riesenhuber & Poggio 1999; Serre et al. 2007).

Why V4's template units, and no IT templates of their own: until the twelfth session IT
imprinted 256 templates of V4's pooled map at each of its positions and pooled those.
On 256 V6 objects (circuit seeds 0-5, the rate twin) that IT decoded 0.46, below HMAX
C2's 0.52, and carried less category information than V4 did; its 2,304
position-specific template units diluted the 256 invariant ones. The same pooling applied
to V4's template units decodes 0.60-0.61 (96 or 128 V4 templates), above C2 at every
seed, and its CKA with the CNN's IT block and the hierarchy of best blocks are as before
(docs/results/visual-pathway.md, twelfth session).
"""
from .layers import max_pool

__all__ = ["build_it"]


def build_it(circuit, source="v4_s", wta=0.5, rate=0.1, peak=0.5, pooling="feedforward"):
    """Add IT to ``circuit``: V4's template units ``source`` pooled over every position.

    Parameters
    ----------
    circuit : circuits.core.Circuit
    source : str, optional
        Template units to pool (V4's, ``"v4_s"``); one IT unit per template.
    wta : float, optional
        Strength of the pooling's inhibition (0: a plain sum over positions).
    rate, peak : float, optional
        Calibration of the IT units (:meth:`circuits.core.Circuit.calibrate`).
    pooling : {'feedforward', 'recurrent'}, optional
        How the pooling's inhibition is wired (:func:`circuits.layers.max_pool`).

    Returns
    -------
    dict
        ``populations``, ``output`` (``"it"``), ``templates_population`` (None: IT's
        units pool V4's templates).
    """
    c = max_pool(circuit, "it", "it", source, wta=wta, rate=rate, peak=peak,
                 global_pool=True, mode=pooling)
    return {"populations": c["populations"], "output": "it", "templates_population": None}
