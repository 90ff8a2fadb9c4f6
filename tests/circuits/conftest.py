"""Shared, session-wide circuits: built once, since calibration and imprinting take seconds.

Every test here needs the ``circuits`` extra (scikit-image, scikit-learn) for
its bundled images and skips without it.
"""
import pytest

SIZE = 32


@pytest.fixture(scope="session")
def extra():
    pytest.importorskip("skimage")
    pytest.importorskip("sklearn")


@pytest.fixture(scope="session")
def v1_pathway(extra):
    """Retina and V1, McCulloch-Pitts units, 32 x 32 images."""
    from circuits import build_pathway
    return build_pathway(SIZE, "v1", homeostasis=False, seed=0)


@pytest.fixture(scope="session")
def gratings():
    """8 orientations x 4 phases at each V1 scale's spatial frequency, contrast 0.3."""
    from circuits import stimuli
    return stimuli.grating_set(SIZE, orientations=8, spatial_frequencies=(0.25, 0.125),
                               phases=4, contrast=0.3)


@pytest.fixture(scope="session")
def v1_grating_responses(v1_pathway, gratings):
    """Spiking responses (one trial) of V1 to the gratings."""
    images, params = gratings
    names = ["v1_simple_0", "v1_simple_1", "v1_complex_0", "v1_complex_1"]
    return v1_pathway.present(images, trials=1, populations=names), params


@pytest.fixture(scope="session")
def full_pathway(extra):
    """Retina to IT, McCulloch-Pitts units, 32 x 32 images."""
    from circuits import build_pathway
    return build_pathway(SIZE, "it", homeostasis=False, seed=0)


@pytest.fixture(scope="session")
def objects_v6(extra):
    from circuits import stimuli
    return stimuli.object_set(10, "V6", SIZE, seed=7)
