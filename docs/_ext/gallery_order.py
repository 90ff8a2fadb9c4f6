"""Order of the gallery: from a first network to the large ones, timings last."""
import os

ORDER = ["plot_cuba.py", "plot_coba.py", "plot_fi_curve.py", "plot_state_traces.py",
         "plot_izhikevich_regimes.py", "plot_adex_firing_patterns.py",
         "plot_mcculloch_pitts_logic.py", "plot_balanced_binary.py", "plot_brunel_states.py",
         "plot_pd14_microcircuit.py", "plot_brian2_validation.py", "plot_visual_pathway.py",
         "plot_v1_tuning.py", "plot_circuit_vs_cnn.py", "plot_gpu_scaling.py"]


def example_order(filename):
    """Sort key of an example file: its place in ``ORDER``, unknown ones after, by name."""
    name = os.path.basename(filename)
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)
