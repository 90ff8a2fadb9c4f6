"""Building blocks of V2, V4 and IT: template (conjunction) units and max-like pooling.

:func:`template_layer`
    Units tuned to a conjunction of features in a patch of the maps below
    (HMAX's S layers; Riesenhuber & Poggio 1999, Serre et al. 2007). Each
    template is imprinted from the response of the layer below to a patch of a
    training image (Serre et al. 2007): the strongest entries (a fraction
    ``sparsity``) become excitatory weights, normalised to sum one. An inhibitory
    cell per position, excited by every input of the patch, subtracts the patch's
    mean (feedforward inhibition), so a unit responds to the *pattern* of its
    template rather than to overall activity.
:func:`max_pool`
    Units pooling one template over a window of positions (HMAX's C layers). The
    pooling is made max-like by inhibition (Yu, Giese & Poggio 2002; Kouh & Poggio
    2008): an inhibitory cell per pool and template, excited by the pool's template
    units (their mean), inhibits a gate unit per pool member, which passes only
    what exceeds the pool's mean, and the pooling unit sums the gates. This is
    feedforward; the older recurrent form (the inhibitory cell inhibiting the
    template units back, a soft winner-take-all loop) is ``mode="recurrent"``.

Spiking timing: the projections are delayed so that excitation and the
feedforward inhibition it recruits arrive in the same step
(:meth:`circuits.core.Circuit.delays`).

Grids: every population has ``x``, ``y`` (pixels) and the integer grid indices
``gx``, ``gy`` of its positions; template units carry ``template`` and pooled
units ``template`` too. ``feature`` numbers what a unit codes at its position
(orientation and scale in V1, the template index above), for the patches of the
next layer.
"""
import numpy as np

from .description import Population

__all__ = ["template_layer", "max_pool", "grid_indices", "patches"]


def grid_indices(x, y):
    """Integer indices of positions on their (regular) grid."""
    ux, uy = np.unique(np.round(x, 6)), np.unique(np.round(y, 6))
    return np.searchsorted(ux, np.round(x, 6)), np.searchsorted(uy, np.round(y, 6))


def patches(circuit, sources, radius):
    """Patches of the maps ``sources`` around every complete position.

    Parameters
    ----------
    circuit : Circuit
    sources : sequence of str
        Populations on a common grid (metadata ``x``, ``y``, ``feature``).
    radius : int
        Half-width of a patch, in grid steps (0: the position alone).

    Returns
    -------
    centres : ndarray, shape (n_centres, 2)
        Pixel coordinates ``(x, y)`` of the patch centres.
    grid : ndarray of int, shape (n_centres, 2)
        Grid indices ``(gx, gy)`` of the centres.
    members : list of (str, ndarray)
        For each source, the ``(n_centres, L_k)`` indices of its units in each patch,
        in a fixed order (offset, then feature), the same for every centre.
    """
    tables = []
    for name in sources:
        m = circuit.populations[name].meta
        gx, gy = grid_indices(m["x"], m["y"])
        tables.append((name, m, gx, gy))
    gx_all = np.concatenate([t[2] for t in tables])
    gy_all = np.concatenate([t[3] for t in tables])
    nx, ny = gx_all.max() + 1, gy_all.max() + 1
    cx = np.arange(radius, nx - radius)
    cy = np.arange(radius, ny - radius)
    if cx.size == 0 or cy.size == 0:
        raise ValueError(f"the maps of {sources} ({nx} x {ny} positions) are too small for "
                         f"patches of radius {radius}")
    GY, GX = np.meshgrid(cy, cx, indexing="ij")
    grid = np.column_stack([GX.ravel(), GY.ravel()])
    members = []
    first = tables[0][1]
    xs = np.unique(np.round(first["x"], 6))
    ys = np.unique(np.round(first["y"], 6))
    centres = np.column_stack([xs[grid[:, 0]], ys[grid[:, 1]]])
    for name, m, gx, gy in tables:
        feat = np.searchsorted(np.unique(m["feature"]), m["feature"])
        nf = feat.max() + 1
        # lookup: (gx, gy, feature) -> index
        lut = -np.ones((nx, ny, nf), dtype=np.int64)
        lut[gx, gy, feat] = np.arange(len(gx))
        offs = np.arange(-radius, radius + 1)
        oy, ox, f = np.meshgrid(offs, offs, np.arange(nf), indexing="ij")
        idx = lut[grid[:, 0, None] + ox.ravel(), grid[:, 1, None] + oy.ravel(), f.ravel()]
        if np.any(idx < 0):
            raise ValueError(f"{name} does not have every feature at every grid position")
        members.append((name, idx))
    return centres, grid, members


def _patch_values(circuit, members, key):
    """Activities of the training batch ``key`` gathered into patches: (batch, n_centres, L)."""
    parts = [circuit.activity(key, name, "relu")[:, idx] for name, idx in members]
    return np.concatenate(parts, axis=2)


def imprint(values, n_templates, sparsity, rng):
    """Templates from random strong patches: ``values`` (batch, n_centres, L).

    The strong patches are the upper half by summed activity. With fewer of them than
    ``n_templates`` they are drawn with replacement and templates repeat (a layer of
    256 templates at one position, from 32 training images, has at most 16 distinct
    ones); repeated templates are units of the same tuning with independent noise.
    """
    flat = values.reshape(-1, values.shape[-1])
    energy = flat.sum(1)
    strong = np.flatnonzero(energy >= np.quantile(energy, 0.5))
    strong = strong[energy[strong] > 0]
    if strong.size == 0:
        raise RuntimeError("no active patch in the training images to imprint templates from")
    pick = rng.choice(strong, size=n_templates, replace=strong.size < n_templates)
    t = flat[pick].copy()
    keep = max(1, int(round(sparsity * t.shape[1])))
    cut = -np.sort(-t, axis=1)[:, keep - 1:keep]
    t[t < cut] = 0.0
    t /= np.maximum(t.sum(1, keepdims=True), 1e-12)
    return t


def template_layer(circuit, area, name, sources, radius, n_templates=32, sparsity=0.33,
                   inhibition=1.0, rate=0.03, peak=0.5, seed=0):
    """Template units over patches of ``sources``, with feedforward inhibition.

    Adds ``<name>_ff`` (inhibitory, one per position) and ``<name>`` (excitatory,
    ``n_templates`` per position, position-major). Templates come from
    ``circuit.templates[name]`` when present (a rebuilt circuit), else they are
    imprinted from the ``"training"`` batch and stored there.

    Parameters
    ----------
    circuit : Circuit
    area : str
    name : str
    sources : sequence of str
        Populations on a common grid.
    radius : int
        Half-width of the patch in grid steps.
    n_templates : int, optional
    sparsity : float, optional
        Fraction of a template's entries kept as synapses.
    inhibition : float, optional
        Strength of the feedforward inhibition (1 subtracts the patch mean).
    rate, peak : float, optional
        Calibration (:meth:`Circuit.calibrate`).
    seed : int, optional
        Draws the imprinting patches.

    Returns
    -------
    dict
        ``populations`` (names), ``templates`` (n_templates, L), ``centres``.
    """
    centres, grid, members = patches(circuit, sources, radius)
    nc = len(centres)
    L = sum(idx.shape[1] for _, idx in members)
    if name in circuit.templates:
        templates = np.asarray(circuit.templates[name], float)
        n_templates = templates.shape[0]
        if templates.shape[1] != L:
            raise ValueError(f"saved templates of {name} have {templates.shape[1]} inputs; "
                             f"this circuit's patches have {L}")
    else:
        values = _patch_values(circuit, members, "training")
        templates = imprint(values, n_templates, sparsity, np.random.default_rng(seed))
        circuit.templates[name] = templates
    src_rf = max(float(circuit.populations[s].meta["rf_size"].max()) for s in sources)
    spacing = _spacing(circuit.populations[sources[0]].meta["x"])
    rf = src_rf + 2 * radius * spacing
    # feedforward inhibition: the mean of the patch
    ff = name + "_ff"
    circuit.add(Population(ff, area, nc, "inhibitory", 0.0, {
        "x": centres[:, 0], "y": centres[:, 1], "gx": grid[:, 0], "gy": grid[:, 1],
        "rf_size": np.full(nc, rf)}))
    for src, idx in members:
        circuit.connect(src, ff, "excitatory", idx.ravel(), np.repeat(np.arange(nc),
                                                                       idx.shape[1]), 1.0 / L)
    circuit.calibrate(ff, 0.2, peak)
    C, K = (a.ravel() for a in np.meshgrid(np.arange(nc), np.arange(n_templates),
                                           indexing="ij"))
    n = C.size
    circuit.add(Population(name, area, n, "excitatory", 0.0, {
        "x": centres[C, 0], "y": centres[C, 1], "gx": grid[C, 0], "gy": grid[C, 1],
        "template": K, "feature": K, "rf_size": np.full(n, rf)}))
    col = 0
    for src, idx in members:
        w = templates[:, col:col + idx.shape[1]]          # (K, L_k)
        col += idx.shape[1]
        # unit (c, k) <- idx[c, l] with weight w[k, l]
        pre = np.broadcast_to(idx[:, None, :], (nc, n_templates, idx.shape[1]))
        post = np.broadcast_to(np.arange(n)[:, None].reshape(nc, n_templates, 1), pre.shape)
        wt = np.broadcast_to(w[None], pre.shape)
        keep = wt > 0
        circuit.connect(src, name, "excitatory", pre[keep], post[keep], wt[keep])
    if inhibition > 0:
        gain = circuit.learned[ff][0]
        circuit.connect(ff, name, "inhibitory", C, np.arange(n), inhibition / gain)
    circuit.calibrate(name, rate, peak)
    return {"populations": [ff, name], "templates": templates, "centres": centres}


def max_pool(circuit, area, name, source, window=2, stride=1, wta=1.0, rate=0.05,
             peak=0.5, global_pool=False, mode="feedforward"):
    """Max-like pooling of the template units ``source`` over windows of positions.

    Adds ``<name>_wta`` (inhibitory, one per pool and template; inhibits the
    pool's template units) and ``<name>`` (excitatory, one per pool and template,
    pool-major).

    Parameters
    ----------
    circuit : Circuit
    area, name, source : str
    window, stride : int, optional
        Side and spacing of the pooling windows, in grid steps of ``source``.
    wta : float, optional
        Strength of the winner-take-all inhibition (0: plain sum pooling).
    rate, peak : float, optional
        Calibration of the pooling units.
    global_pool : bool, optional
        One pool over every position (position-invariant units).
    mode : {'feedforward', 'recurrent'}, optional
        How the inhibition makes the pooling max-like. ``'feedforward'`` (default):
        the inhibitory cell of each pool and template (the pool's mean) inhibits a
        gate unit per pool member, ``<name>_gate``, which passes only what exceeds
        the mean, and the pooling unit sums the gates (no loop: in the spiking
        circuits a loop through an inhibitory cell with a one-step delay makes the
        template units oscillate and burst together). ``'recurrent'``: the
        inhibitory cell inhibits the pool's template units back (a soft
        winner-take-all loop), and the pooling unit sums the template units.

    Returns
    -------
    dict
        ``populations`` (names), ``n_pools``.
    """
    src = circuit.populations[source]
    m = src.meta
    gx, gy, k = m["gx"] - m["gx"].min(), m["gy"] - m["gy"].min(), m["template"]
    nk = k.max() + 1
    if global_pool:
        starts = [(0, 0)]
        window_x, window_y = gx.max() + 1, gy.max() + 1
    else:
        sx = np.arange(0, gx.max() + 2 - window, stride)
        sy = np.arange(0, gy.max() + 2 - window, stride)
        if sx.size == 0 or sy.size == 0:
            raise ValueError(f"{source} has too few positions for windows of {window}")
        starts = [(a, b) for b in sy for a in sx]
        window_x = window_y = window
    pre, pool = [], []
    for p, (ax, ay) in enumerate(starts):
        inside = np.flatnonzero((gx >= ax) & (gx < ax + window_x) & (gy >= ay)
                                & (gy < ay + window_y))
        pre.append(inside)
        pool.append(np.full(inside.size, p))
    pre, pool = np.concatenate(pre), np.concatenate(pool)
    post = pool * nk + k[pre]                       # (pool, template), pool-major
    npools = len(starts)
    n = npools * nk
    count = np.bincount(post, minlength=n)
    P, K = (a.ravel() for a in np.meshgrid(np.arange(npools), np.arange(nk), indexing="ij"))
    cx = np.bincount(pool, m["x"][pre], minlength=npools) / np.bincount(pool, minlength=npools)
    cy = np.bincount(pool, m["y"][pre], minlength=npools) / np.bincount(pool, minlength=npools)
    span_x = np.zeros(npools)
    np.maximum.at(span_x, pool, np.maximum(np.abs(m["x"][pre] - cx[pool]),
                                           np.abs(m["y"][pre] - cy[pool])))
    rf = float(m["rf_size"].max()) + 2 * span_x
    sgx, sgy = grid_indices(cx, cy)
    meta = {"x": cx[P], "y": cy[P], "gx": sgx[P], "gy": sgy[P], "template": K, "feature": K,
            "rf_size": rf[P]}
    pops = []
    if mode not in ("feedforward", "recurrent"):
        raise ValueError(f"mode={mode!r} must be 'feedforward' or 'recurrent'")
    if wta > 0 and mode == "feedforward":
        inh, gate = name + "_wta", name + "_gate"
        circuit.add(Population(inh, area, n, "inhibitory", 0.0, dict(meta)))
        circuit.connect(source, inh, "excitatory", pre, post, 1.0 / count[post])
        circuit.calibrate(inh, 0.2, peak)
        gain = circuit.learned[inh][0]
        ng = pre.size                                # one gate per (pool, member)
        gmeta = {key: np.asarray(m[key])[pre] for key in ("x", "y", "rf_size")}
        gmeta.update(template=k[pre], feature=k[pre], pool=pool)
        circuit.add(Population(gate, area, ng, "excitatory", 0.0, gmeta))
        circuit.connect(source, gate, "excitatory", pre, np.arange(ng), 1.0)
        circuit.connect(inh, gate, "inhibitory", post, np.arange(ng), wta / gain)
        circuit.calibrate(gate, rate / 2, peak)
        circuit.add(Population(name, area, n, "excitatory", 0.0, dict(meta)))
        circuit.connect(gate, name, "excitatory", np.arange(ng), post, 1.0)
        circuit.calibrate(name, rate, peak)
        return {"populations": [inh, gate, name], "n_pools": npools}
    if wta > 0:
        inh = name + "_wta"
        circuit.add(Population(inh, area, n, "inhibitory", 0.0, dict(meta)))
        circuit.connect(source, inh, "excitatory", pre, post, 1.0 / count[post])
        circuit.calibrate(inh, 0.2, peak)
        gain = circuit.learned[inh][0]
        circuit.connect(inh, source, "inhibitory", post, pre, wta / gain)
        pops.append(inh)
    circuit.add(Population(name, area, n, "excitatory", 0.0, dict(meta)))
    circuit.connect(source, name, "excitatory", pre, post, 1.0)
    circuit.calibrate(name, rate, peak)
    pops.append(name)
    return {"populations": pops, "n_pools": npools}


def _spacing(x):
    ux = np.unique(np.round(x, 6))
    return float(np.min(np.diff(ux))) if ux.size > 1 else 1.0
