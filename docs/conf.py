"""Sphinx configuration of the neurosim documentation.

Build with ``make docs`` (quick gallery, about a minute per example at most) or
``sphinx-build -W -n -b html docs docs/_build/html``. The gallery runs every
``examples/plot_*.py``; ``NEUROSIM_QUICK=1`` (the default here) makes each one
short. Set ``NEUROSIM_QUICK=0`` for the full-length examples.
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))

# The examples read these when the gallery runs them.
os.environ.setdefault("NEUROSIM_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import neurosim  # noqa: E402

# -- Project -------------------------------------------------------------------
project = "neurosim"
author = "the neurosim developers"
copyright = "2026, the neurosim developers"
release = neurosim.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.codeobj.json", "**/sg_execution_times.rst"]
templates_path = ["_templates"]
nitpicky = True
# Type words in numpydoc parameter lists are plain text (numpydoc_xref_param_type
# is off), so these only guard the rare explicit role in a docstring.
nitpick_ignore = [("py:class", "Quantity")]

# No network at build time: intersphinx has nothing to fetch.
intersphinx_mapping = {}

# -- autodoc / autosummary -----------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
add_module_names = False

# -- numpydoc ------------------------------------------------------------------
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
# Every docstring of the public API is checked; the build fails on a violation
# (sphinx-build -W). Not required: a See Also section (SA01), an extended
# summary (ES01), Examples on every method (EX01), and the verb-first summary
# (SS05): neurosim summaries describe what a class *is* ("Records the spikes").
numpydoc_validation_checks = {"all", "GL01", "SA01", "ES01", "EX01", "SS05", "RT02"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.__call__$",
    # properties written as ``property(lambda self: ...)``: numpydoc cannot find
    # their source line (they have no docstring and are not shown)
    r"^neurosim\.LIFCond\.state_variables$",
    r"^neurosim\.Subgroup\.(root|start|stop)$",
    # the hooks through which a model talks to the network: internal, not shown
    # (see the class template); the model contract is documented on NeuronModel
    r"\.(weight_to_si|current_to_si|validate_dt|params|state_variables|kernel|"
    r"parameter_values|step_parameters)$",
    # tables of published parameters (dicts: numpydoc reads the dict type's docstring)
    r"^neurosim\.(AdEx\.NAUD_2008|Izhikevich\.regimes)$",
    # a model's rules (plain functions that numba compiles): their signatures are
    # the contract's, documented on NeuronModel
    r"\.(scalar_update|vector_update|receive|vector_receive|inert)$",
}

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_order.example_order",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
    "show_memory": False,
    "write_computation_times": False,
    "only_warn_on_example_error": False,
    "default_thumb_file": None,
}

# -- matplotlib plot directive (tutorial) -------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (8, 4)}

# -- MyST (the Markdown pages) ------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"neurosim {release}"
html_static_path = []
html_theme_options = {
    "description": "Spiking networks of McCulloch-Pitts and LIF neurons, compiled by Numba",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
