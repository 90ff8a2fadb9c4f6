"""V1: simple cells with Gabor receptive fields, push-pull inhibition, complex cells.

For each scale (wavelength ``lambda``) there are four populations:

``v1_simple_<s>`` (excitatory)
    On a grid of spacing ``lambda / 2``: 8 orientations x 4 phases (0, 90, 180,
    270 degrees) per position. A cell with Gabor ``G`` is excited by ON cells
    where ``G > 0`` and by OFF cells where ``G < 0`` (weights ``|G|``), so its
    input is the Gabor filter of the retina's output (Ferster & Miller 2000).
``v1_pushpull_<s>`` (inhibitory)
    One interneuron per simple cell, with the opposite (anti-phase) receptive
    field; it inhibits its simple cell. Light where the cell wants dark (and the
    reverse) therefore inhibits the cell: push-pull (Troyer et al. 1998), which
    also cancels the untuned drive of the ON and OFF cells' spontaneous activity.
``v1_norm_<s>`` (inhibitory)
    The normalisation pool at each complex-cell position: excited by the simple
    cells of all orientations and phases around it, it inhibits the complex cells
    there, a subtractive version of divisive normalisation (Heeger 1992; Carandini
    & Heeger 2012).
``v1_complex_<s>`` (excitatory)
    On a grid of spacing 4 px (both scales): each pools the simple cells of one
    orientation over the four phases and a 3 x 3 neighbourhood of positions
    (the energy model; Adelson & Bergen 1985), minus the normalisation pool.

Gabor: ``G(x', y') = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / lambda + phase)``,
``x' = x cos(theta) + y sin(theta)`` with ``y`` upwards, the convention of
:func:`circuits.stimuli.grating`. Each kernel is made zero-mean and scaled to
``sum |G| = 1``.
"""
import numpy as np

from .description import Population, grid, neighbours

__all__ = ["build_v1", "gabor"]


def gabor(dx, dy_down, orientation, wavelength, phase, sigma=None, gamma=0.7):
    """Gabor values at offsets ``(dx, dy_down)`` (pixels, y downwards); angles in degrees."""
    sigma = 0.4 * wavelength if sigma is None else sigma
    th = np.deg2rad(orientation)
    x, y = dx, -dy_down
    xr = x * np.cos(th) + y * np.sin(th)
    yr = -x * np.sin(th) + y * np.cos(th)
    env = np.exp(-(xr ** 2 + gamma ** 2 * yr ** 2) / (2 * sigma ** 2))
    return env * np.cos(2 * np.pi * xr / wavelength + np.deg2rad(phase)), env


def build_v1(circuit, wavelengths=(4.0, 8.0), n_orientations=8, gamma=0.7,
             complex_stride=4, simple_stride=None, stagger=False, sparse_from=None,
             push_pull=1.0, normalization=0.7, prune=0.1,
             rate=0.03, complex_rate=0.05, peak=0.5):
    """Add V1 (simple, push-pull, normalisation and complex populations) to ``circuit``.

    Parameters
    ----------
    circuit : circuits.core.Circuit
        Must hold the retina (``retina_on``, ``retina_off``).
    wavelengths : sequence of float, optional
        Preferred wavelength of each scale, in pixels (spatial frequency ``1/lambda``).
    n_orientations : int, optional
        Orientations evenly spaced over [0, 180).
    gamma : float, optional
        Aspect ratio of the Gabor envelope (< 1: elongated along the stripes).
    complex_stride : int, optional
        Spacing of the complex cells, in pixels.
    simple_stride : int, optional
        Spacing of the simple cells, in pixels, the same at every scale (a
        hypercolumn: every preferred frequency at every position); default half of
        each scale's wavelength (the finer the scale, the more cells).
    stagger : bool, optional
        Rotate scale ``s``'s orientations by ``s / n_scales`` of the orientation step,
        so that the scales together prefer ``n_scales x n_orientations`` orientations
        instead of repeating the same ``n_orientations``.
    sparse_from : float, optional
        Scales of at least this wavelength (pixels; 8 or more) take input from every
        second retina pixel in each direction: a quarter of the synapses, still 4 or
        more samples per cycle. Not coarser: the retina passes up to ~0.3 cycles/px,
        whose aliases on a 3-pixel lattice would fall in the coarse scales' bands.
        Default: every pixel at every scale.
    push_pull : float, optional
        Strength of the push-pull inhibition (1: the anti-phase input cancels).
    normalization : float, optional
        Strength of the normalisation pool's inhibition of the complex cells.
    prune : float, optional
        Gabor weights below this fraction of the kernel's largest are dropped.
    rate, complex_rate, peak : float, optional
        Calibration (mean spikes per step on natural images) of the simple and
        complex cells (:meth:`Circuit.calibrate`).

    Returns
    -------
    dict
        ``populations`` (names), ``simple`` and ``complex`` (names per scale),
        ``orientations`` (degrees, of the first scale), ``orientation_offsets``
        (degrees, added per scale), ``wavelengths`` and ``strides`` (of the simple
        cells, pixels).
    """
    if sparse_from is not None and not sparse_from >= 8:
        raise ValueError(f"sparse_from={sparse_from!r} must be >= 8 (pixels per cycle) or "
                         "None: a finer scale on every second pixel would alias")
    if simple_stride is not None and not (float(simple_stride).is_integer()
                                          and simple_stride >= 1):
        raise ValueError(f"simple_stride={simple_stride!r} must be a whole number of pixels "
                         ">= 1, or None (half of each wavelength)")
    size = circuit.size
    orientations = np.arange(n_orientations) * 180.0 / n_orientations
    phases = np.array([0.0, 90.0, 180.0, 270.0])
    on = circuit.populations["retina_on"]
    rxy = np.column_stack([on.meta["x"], on.meta["y"]])
    out = {"populations": [], "simple": [], "complex": [], "orientations": orientations,
           "wavelengths": np.asarray(wavelengths, float), "strides": [],
           "orientation_offsets": np.zeros(len(wavelengths))}
    if stagger:
        out["orientation_offsets"] = np.arange(len(wavelengths)) * (180.0 / n_orientations
                                                                    / len(wavelengths))
    cxy = np.array([(x, y) for y in grid(size, complex_stride)
                    for x in grid(size, complex_stride)])
    base = orientations
    for s, lam in enumerate(wavelengths):
        orientations = base + out["orientation_offsets"][s]
        stride = int(simple_stride) if simple_stride else max(1, int(round(lam / 2)))
        out["strides"].append(stride)
        sigma = 0.4 * lam
        radius = int(np.ceil(2 * sigma / gamma))
        pos = np.array([(x, y) for y in grid(size, stride) for x in grid(size, stride)])
        # one cell per (position, orientation, phase), position-major
        P, O, F = (a.ravel() for a in np.meshgrid(np.arange(len(pos)), np.arange(n_orientations),
                                                  np.arange(4), indexing="ij"))
        n = P.size
        meta = {"x": pos[P, 0], "y": pos[P, 1], "orientation": orientations[O],
                "phase": phases[F], "scale": np.full(n, s), "wavelength": np.full(n, lam),
                "spatial_frequency": np.full(n, 1.0 / lam), "feature": O,
                "rf_size": np.full(n, 2.0 * radius + 1)}
        simple, pp = f"v1_simple_{s}", f"v1_pushpull_{s}"
        circuit.add(Population(pp, "v1", n, "inhibitory", 0.0, dict(meta)))
        circuit.add(Population(simple, "v1", n, "excitatory", 0.0, dict(meta)))
        # receptive fields: pairs (retina pixel, position), then one kernel per cell
        ri, pj, dx, dy = neighbours(rxy, pos, radius)
        if sparse_from is not None and lam >= sparse_from:
            keep = (rxy[ri, 0] % 2 == 0) & (rxy[ri, 1] % 2 == 0)
            ri, pj, dx, dy = ri[keep], pj[keep], dx[keep], dy[keep]
        w_on, w_off, cell, src = [], [], [], []
        for o in range(n_orientations):
            for f in range(4):
                g, env = gabor(dx, dy, orientations[o], lam, phases[f], sigma, gamma)
                # zero mean under the envelope, then sum |g| = 1 per cell
                g = g - env * (np.bincount(pj, g, minlength=len(pos))
                               / np.bincount(pj, env, minlength=len(pos)))[pj]
                big = np.zeros(len(pos))
                np.maximum.at(big, pj, np.abs(g))
                g = np.where(np.abs(g) >= prune * big[pj], g, 0.0)
                g /= np.bincount(pj, np.abs(g), minlength=len(pos))[pj]
                idx = (pj * n_orientations + o) * 4 + f
                w_on.append(np.maximum(g, 0))
                w_off.append(np.maximum(-g, 0))
                cell.append(idx)
                src.append(ri)
        w_on, w_off = np.concatenate(w_on), np.concatenate(w_off)
        cell, src = np.concatenate(cell), np.concatenate(src)
        # interneurons: anti-phase receptive field
        circuit.connect("retina_on", pp, "excitatory", src, cell, w_off)
        circuit.connect("retina_off", pp, "excitatory", src, cell, w_on)
        circuit.calibrate(pp, 0.1, peak)
        circuit.connect("retina_on", simple, "excitatory", src, cell, w_on)
        circuit.connect("retina_off", simple, "excitatory", src, cell, w_off)
        if push_pull > 0:
            gain = circuit.learned[pp][0]      # interneuron activity per unit of drive
            k = np.arange(n)
            circuit.connect(pp, simple, "inhibitory", k, k, push_pull / gain)
        circuit.calibrate(simple, rate, peak)

        # normalisation pool and complex cells, on the common complex grid
        norm, cx = f"v1_norm_{s}", f"v1_complex_{s}"
        nc = len(cxy)
        circuit.add(Population(norm, "v1", nc, "inhibitory", 0.0, {
            "x": cxy[:, 0], "y": cxy[:, 1], "scale": np.full(nc, s),
            "rf_size": np.full(nc, 2.0 * radius + 1 + 2 * stride)}))
        pi, cj, ddx, ddy = neighbours(pos, cxy, stride)
        wg = np.exp(-(ddx ** 2 + ddy ** 2) / (2 * stride ** 2))
        wg /= np.bincount(cj, wg, minlength=nc)[cj]
        # every simple cell at the pooled positions: 8 orientations x 4 phases
        per = n_orientations * 4
        src = (pi[:, None] * per + np.arange(per)).ravel()
        tgt = np.repeat(cj, per)
        circuit.connect(simple, norm, "excitatory", src, tgt, np.repeat(wg, per) / per)
        circuit.calibrate(norm, 0.2, peak)
        C, O = (a.ravel() for a in np.meshgrid(np.arange(nc), np.arange(n_orientations),
                                               indexing="ij"))
        ncx = C.size
        circuit.add(Population(cx, "v1", ncx, "excitatory", 0.0, {
            "x": cxy[C, 0], "y": cxy[C, 1], "orientation": orientations[O],
            "scale": np.full(ncx, s), "wavelength": np.full(ncx, lam),
            "spatial_frequency": np.full(ncx, 1.0 / lam), "feature": O + s * n_orientations,
            "rf_size": np.full(ncx, 2.0 * radius + 1 + 2 * stride)}))
        # complex cell (c, o) <- simple (p, o, f) for the pooled positions p, all f
        src = ((pi[:, None] * n_orientations + np.arange(n_orientations))[:, :, None] * 4
               + np.arange(4)).reshape(len(pi), -1)
        tgt = (cj[:, None] * n_orientations + np.arange(n_orientations))[:, :, None] \
            .repeat(4, axis=2).reshape(len(pi), -1)
        circuit.connect(simple, cx, "excitatory", src.ravel(), tgt.ravel(),
                        np.repeat(wg / 4, per))
        if normalization > 0:
            gain = circuit.learned[norm][0]
            circuit.connect(norm, cx, "inhibitory", C, np.arange(ncx), normalization / gain)
        circuit.calibrate(cx, complex_rate, peak)
        out["populations"] += [pp, simple, norm, cx]
        out["simple"].append(simple)
        out["complex"].append(cx)
    return out
