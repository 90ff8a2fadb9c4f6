"""V2: conjunctions of V1 orientations, then max-like local pooling.

``v2_s`` units are tuned to a combination of V1 complex-cell responses (all
orientations and both scales) at one complex-cell position, imprinted from training
images (conjunctions of orientations, as V2 cells' selectivity for angles and
junctions, Ito & Komatsu 2004); ``v2_s_ff`` is their feedforward inhibition.
``v2_c`` units pool one template over 2 x 2 neighbouring positions, made max-like
by the feedforward inhibition of ``v2_c_wta`` (each pool's mean) on the gates
``v2_c_gate`` (see :mod:`circuits.layers`).
Receptive fields grow from about 11-19 px (V1 complex) by the pool (and by the
patch, for ``radius > 0``).
"""
from .layers import max_pool, template_layer

__all__ = ["build_v2"]


def build_v2(circuit, sources, n_templates=32, radius=0, sparsity=0.33, pool=2, stride=1,
             wta=1.0, rate=0.03, peak=0.5, seed=2, pooling="feedforward"):
    """Add V2 to ``circuit`` on top of the V1 complex cells ``sources``.

    Parameters
    ----------
    circuit : circuits.core.Circuit
    sources : sequence of str
        V1 complex populations (on a common grid).
    n_templates : int, optional
    radius : int, optional
        Half-width of the template patch, in complex-cell grid steps: 0 (the
        default), one position; 1, a 3 x 3 patch. With a 3 x 3 patch the rate twin's
        V2 was as like the CNN's V4 block as its V2 block (CKA 0.570 and 0.565 on
        the protocol's images), so target T2 turned on noise; at one position it
        matches the V2 block (0.604 against 0.558), and the areas above have more
        positions to pool over (docs/results/visual-pathway.md, eleventh session).
    sparsity : float, optional
        Fraction of each template's inputs kept.
    pool, stride : int, optional
        Pooling window and its spacing, in grid steps.
    wta : float, optional
        Strength of the pooling's winner-take-all inhibition.
    rate, peak : float, optional
        Calibration of the template units; pooling units use ``2 * rate``.
    seed : int, optional
        Draws the imprinting patches.
    pooling : {'feedforward', 'recurrent'}, optional
        How the pooling's inhibition is wired (:func:`circuits.layers.max_pool`).

    Returns
    -------
    dict
        ``populations``, ``templates_population`` (the template units' name),
        ``output`` (the pooled population's name), ``templates``.
    """
    s = template_layer(circuit, "v2", "v2_s", sources, radius, n_templates, sparsity,
                       rate=rate, peak=peak, seed=seed)
    c = max_pool(circuit, "v2", "v2_c", "v2_s", pool, stride, wta, 2 * rate, peak,
                 mode=pooling)
    return {"populations": s["populations"] + c["populations"], "output": "v2_c",
            "templates": s["templates"], "templates_population": "v2_s"}
