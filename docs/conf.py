"""Sphinx configuration for lucid's documentation (``python -m lucid.docs`` builds and serves it)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document this checkout, installed or not
sys.path.insert(0, str(HERE / "_ext"))

import lucid  # noqa: E402
from lucid_api import linkcode_resolve  # noqa: E402,F401  (sphinx.ext.linkcode calls it)

project = "lucid"
author = "the lucid developers"
copyright = "the lucid developers"
release = version = lucid.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.linkcode",
    "sphinx.ext.mathjax",
    "myst_parser",
    "lucid_api",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["lucid.css"]
html_js_files = ["source-lines.js"]

# NumPy-style docstrings; "Shape" is lucid's section for a module's input and output sizes.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# Attributes render like Parameters (a field list), as a reader of the spec page expects.
napoleon_custom_sections = ["Shape", ("Attributes", "params_style")]
napoleon_use_rtype = False
napoleon_preprocess_types = True

autodoc_member_order = "bysource"
autoclass_content = "class"
autodoc_class_signature = "mixed"
add_module_names = False
python_display_short_literal_types = True

# Math renders offline: MathJax 3 comes from the sphinx-mathjax-offline wheel (the docs
# extra) and the lucid_api extension copies the parts it needs into _static/mathjax.
mathjax_path = "mathjax/tex-chtml.js"

myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"lucid {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"code/**": []}
html_show_sourcelink = False
html_copy_source = False
