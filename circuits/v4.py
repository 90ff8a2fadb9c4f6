"""V4: conjunctions of V2 features over a larger patch, then max-like pooling.

The same two stages as V2 (:mod:`circuits.layers`) one level up: ``v4_s`` units
match templates of V2 pooled responses in a 3 x 3 patch (imprinted from training
images), ``v4_c`` units pool them over 3 x 3 positions, max-like through the
feedforward inhibition of the gates ``v4_c_gate``. Receptive fields cover about
half to all of a 32-pixel image. IT pools the template units ``v4_s`` over every
position (:func:`circuits.it.build_it`).

The pooling window: with V2's templates at one position (:func:`circuits.v2.build_v2`)
V4 has 5 x 5 template positions at 32 px. Pooled over 2 x 2, V4 matched the CNN's V2
block best in the quick protocol's one (circuit seed, CNN) pair and in one of the full
protocol's six (target T2); pooled over 3 x 3, every pair was in order
(docs/results/visual-pathway.md, eleventh session).

96 templates: IT's units are V4's templates pooled over position, so V4's templates
are IT's features. Over circuit seeds 0-5 (256 V6 objects) the rate twin's IT decodes
0.555 with 48, 0.601 with 96 and 0.614 with 128, against HMAX C2's 0.519; the spiking
LIF circuit's 0.568 with 96 and 0.579 with 128 (IT - C2: +0.049 [-0.004, 0.101];
with 128, +0.061 [0.012, 0.112]), counted over 40 ms; over 80 ms, the readout since
the thirteenth session, 0.589 with 96 (+0.070 [0.021, 0.122]). 128 was not kept: in
the full protocol the McCulloch-Pitts circuit's areas then line up with the untrained
CNN's blocks as well as with the trained ones' (mean H 0.95 for both), so target T2's
control fails (twelfth session).
"""
from .layers import max_pool, template_layer

__all__ = ["build_v4"]


def build_v4(circuit, source="v2_c", n_templates=96, radius=1, sparsity=0.33, pool=3,
             stride=1, wta=1.0, rate=0.03, peak=0.5, seed=4, pooling="feedforward"):
    """Add V4 to ``circuit`` on top of the V2 pooling units ``source``.

    Parameters are those of :func:`circuits.v2.build_v2` (here ``n_templates=96``,
    ``radius=1``, a 3 x 3 patch, and ``pool=3``).

    Returns
    -------
    dict
        ``populations``, ``templates_population`` (the template units' name),
        ``output`` (``"v4_c"``), ``templates``.
    """
    s = template_layer(circuit, "v4", "v4_s", [source], radius, n_templates, sparsity,
                       rate=rate, peak=peak, seed=seed)
    c = max_pool(circuit, "v4", "v4_c", "v4_s", pool, stride, wta, 2 * rate, peak,
                 mode=pooling)
    return {"populations": s["populations"] + c["populations"], "output": "v4_c",
            "templates": s["templates"], "templates_population": "v4_s"}
