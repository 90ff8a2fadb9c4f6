"""IT: template units with position-invariant pooling.

``it_s`` units match templates of the V4 pooled responses at each position
(imprinted from training images, e.g. views of the objects); ``it`` units pool
each template over *every* position, max-like through feedforward inhibition
of the gates ``it_gate`` (:func:`circuits.layers.max_pool`), so that
they respond to their feature wherever it appears (HMAX's C2; Serre et al. 2007):
receptive fields span the whole image and responses tolerate changes of position
and scale.
"""
from .layers import max_pool, template_layer

__all__ = ["build_it"]


def build_it(circuit, source="v4_c", n_templates=256, radius=0, sparsity=0.5, wta=0.5,
             rate=0.05, peak=0.5, seed=6, pooling="feedforward"):
    """Add IT to ``circuit`` on top of the V4 pooling units ``source``.

    Parameters
    ----------
    circuit : circuits.core.Circuit
    source : str, optional
    n_templates : int, optional
    radius : int, optional
        Half-width of the template patch in grid steps (0: one position).
    sparsity : float, optional
    wta : float, optional
    rate, peak : float, optional
        Calibration of the template units; the invariant units use ``2 * rate``.
    seed : int, optional
    pooling : {'feedforward', 'recurrent'}, optional
        How the pooling's inhibition is wired (:func:`circuits.layers.max_pool`).

    Returns
    -------
    dict
        ``populations``, ``templates_population`` (the template units' name),
        ``output`` (``"it"``), ``templates``.
    """
    s = template_layer(circuit, "it", "it_s", [source], radius, n_templates, sparsity,
                       rate=rate, peak=peak, seed=seed)
    c = max_pool(circuit, "it", "it", "it_s", wta=wta, rate=2 * rate, peak=peak,
                 global_pool=True, mode=pooling)
    return {"populations": s["populations"] + c["populations"], "output": "it",
            "templates": s["templates"], "templates_population": "it_s"}
