"""Sphinx extension: one API page per public name of lucid, generated at every build.

The page list is derived from the modules themselves (``__all__`` where a module has one,
otherwise its non-underscore names that lucid defines), so a name added to a namespace gets
its page without anyone editing the docs. Each class page ends with a Methods section that
lists every public method with its kind. Pages go to ``api/`` and highlighted source files
(the target of the "source" links) to ``code/``; both folders are rebuilt each time and are
not committed.
"""

import importlib
import inspect
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# A namespace that does not exist yet (another branch adds it) is skipped, not an error.
NAMESPACES = [
    ("lucid", "Tensors, creation, math, dtypes, random state, checkpoints"),
    ("lucid.autograd", "Reverse-mode automatic differentiation"),
    ("lucid.nn", "Modules, parameters and layers"),
    ("lucid.nn.functional", "Stateless layer functions (usually imported as F)"),
    ("lucid.nn.init", "Parameter initialisation"),
    ("lucid.nn.utils", "Model utilities: summary, materialize"),
    ("lucid.nn.utils.rnn", "Padding and packing variable-length sequences for recurrent layers"),
    ("lucid.nn.parallel", "Data-parallel wrappers"),
    ("lucid.optim", "Optimizers"),
    ("lucid.utils.data", "Datasets and data loaders"),
    ("lucid.distributed", "Process groups and collectives"),
    ("lucid.jit", "Tracing and compilation"),
]

# Dunder methods worth a line in a Methods list (the rest are Python plumbing).
SPECIAL_METHODS = ("__init__", "__call__", "__len__", "__iter__", "__getitem__", "__setitem__", "__delitem__",
                   "__contains__", "__enter__", "__exit__")

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Entry:
    namespace: str
    name: str
    obj: object
    kind: str  # "class", "function" or "data"
    canonical: str = ""  # full name of the page documenting it ("" for data: documented in place)


@dataclass
class Namespace:
    name: str
    summary: str
    module: object
    entries: list = field(default_factory=list)


def _defined_in_lucid(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "lucid"


def public_names(module):
    """The names a user is meant to import from ``module``.

    ``__all__`` where the module has one; otherwise each non-underscore name whose object is
    defined inside it (inside the package, for a package), so a helper imported from
    elsewhere (``positive_int`` from ``lucid.nn._checks``) is not taken for part of the API.
    """
    if hasattr(module, "__all__"):
        return sorted(module.__all__)
    inside = module.__name__ + "." if hasattr(module, "__path__") else None

    def defined_here(where):
        return where == module.__name__ or (inside is not None and where.startswith(inside))

    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value):
            continue
        if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
            if defined_here(getattr(value, "__module__", None) or ""):
                names.append(name)
        elif _defined_in_lucid(type(value)) and defined_here(type(value).__module__):  # dtypes and such
            names.append(name)
    return sorted(names)


def _kind(obj):
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _import(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            return None  # the namespace itself is absent
        raise


def collect(namespaces=NAMESPACES):
    """Import every namespace and decide which page documents each object.

    A lucid submodule that a namespace lists among its public names (``lucid.nn.utils``
    lists ``parametrize``) becomes a namespace of its own, with its own pages.
    """
    found, queue, seen = [], list(namespaces), set()
    while queue:
        name, summary = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        module = _import(name)
        if module is None:
            continue
        ns = Namespace(name, summary, module)
        for attr in public_names(module):
            obj = getattr(module, attr)
            entry = Entry(name, attr, obj, _kind(obj))
            if entry.kind == "module":
                if not obj.__name__.startswith("lucid."):
                    continue
                entry.canonical = obj.__name__
                queue.append((obj.__name__, _first_line(obj).rstrip(".") or obj.__name__))
            ns.entries.append(entry)
        found.append(ns)
    documented = {ns.name for ns in found}
    for ns in found:
        ns.entries = [e for e in ns.entries if e.kind != "module" or e.canonical in documented]
    # One page per object: the namespace closest to where the object is defined (then the
    # first listed) holds it; the other namespaces link there.
    homes = {}
    for ns in found:
        for e in ns.entries:
            if e.kind not in ("class", "function"):
                continue
            key = (id(e.obj), e.name)
            defined = getattr(e.obj, "__module__", "") or ""
            score = len(os.path.commonprefix([defined.split("."), ns.name.split(".")]))
            if key not in homes or score > homes[key][0]:
                homes[key] = (score, f"{ns.name}.{e.name}")
    for ns in found:
        for e in ns.entries:
            if e.kind in ("class", "function"):
                e.canonical = homes[(id(e.obj), e.name)][1]
    return found


def _first_line(obj):
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""


def _title(text, char="="):
    return f"{text}\n{char * len(text)}\n"


def _escape(text):
    """A docstring's summary line for a table cell: it stays RST, on one line."""
    return " ".join(text.split())


def method_kind(cls, name):
    """'property', 'classmethod', 'staticmethod', 'dunder' or 'method' for ``cls.name``."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, property):
        return "property"
    if isinstance(raw, classmethod):
        return "classmethod"
    if isinstance(raw, staticmethod):
        return "staticmethod"
    if name.startswith("__"):
        return "dunder"
    return "method"


def class_methods(cls, documented_classes):
    """Public methods of ``cls``: (name, kind, owner) to document here, and {root class: [names]}.

    Methods that come from a public root class (one whose only base is ``object``, with its
    own page, such as Module) are linked to that page instead of being repeated.
    """
    here, inherited = [], {}
    seen = set()
    for owner in cls.__mro__:
        if owner is object or not _defined_in_lucid(owner):
            continue
        for name, raw in vars(owner).items():
            if name in seen:
                continue
            public = not name.startswith("_") or name in SPECIAL_METHODS
            member = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
            if not public or not (inspect.isfunction(member) or isinstance(raw, property)):
                continue
            seen.add(name)
            root = owner is not cls and owner.__bases__ == (object,) and owner in documented_classes
            if root:
                inherited.setdefault(owner, []).append(name)
            else:
                here.append((name, method_kind(cls, name), owner))
    order = {n: i for i, n in enumerate(SPECIAL_METHODS)}
    here.sort(key=lambda m: (m[0] not in order, order.get(m[0], 0), m[0]))
    return here, inherited


def class_page(entry, documented_classes):
    cls, module, name = entry.obj, entry.namespace, entry.name
    lines = [_title(name), f".. currentmodule:: {module}\n", f".. autoclass:: {name}", "   :show-inheritance:\n"]
    here, inherited = class_methods(cls, documented_classes)
    count = len(here)
    lines.append(f".. rubric:: Methods ({count})\n")
    if here:
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 15 25 60", "   :class: lucid-methods\n",
                  "   * - Kind", "     - Name", "     - Summary"]
        for m, kind, _ in here:
            target = f"{module}.{name}.{m}"
            member = inspect.getattr_static(cls, m) if kind == "property" else getattr(cls, m)
            summary = _escape(_first_line(member))
            if m == "__init__" and (not summary or summary.startswith("Initialize self.")):
                summary = f"Initialise the {name}; see the class docstring for the parameters."
            lines += [f"   * - {kind}", f"     - :py:{'attr' if kind == 'property' else 'meth'}:`~{target}`",
                      f"     - {summary}"]
        lines.append("")
    else:
        lines.append("This class defines no public methods of its own.\n")
    for root, names in inherited.items():
        home = documented_classes[root]
        refs = ", ".join(f":py:{'attr' if method_kind(root, n) == 'property' else 'meth'}:`~{home}.{n}`"
                         for n in sorted(names))
        lines.append(f"Inherited from :py:class:`~{home}`: {refs}.\n")
    for m, kind, _ in here:
        directive = "autoproperty" if kind == "property" else "automethod"
        lines.append(f".. {directive}:: {name}.{m}\n")
    return "\n".join(lines)


def function_page(entry):
    return "\n".join([_title(entry.name), f".. currentmodule:: {entry.namespace}\n",
                      f".. autofunction:: {entry.name}\n"])


def namespace_page(ns):
    lines = [_title(ns.name), f".. py:module:: {ns.name}\n", f"{_escape(_first_line(ns.module)) or ns.summary + '.'}\n"]
    pages = []
    for kind, heading in (("class", "Classes"), ("function", "Functions")):
        group = [e for e in ns.entries if e.kind == kind]
        if not group:
            continue
        lines += [_title(heading, "-"), ".. list-table::", "   :widths: 30 70", "   :class: lucid-summary\n"]
        for e in group:
            role = "class" if kind == "class" else "func"
            lines += [f"   * - :py:{role}:`~{e.canonical}`", f"     - {_escape(_first_line(e.obj)) or ' '}"]
            if e.canonical == f"{ns.name}.{e.name}":
                pages.append(e.canonical)
        lines.append("")
    submodules = [e for e in ns.entries if e.kind == "module"]
    if submodules:
        lines += [_title("Submodules", "-"), ".. list-table::", "   :widths: 30 70", "   :class: lucid-summary\n"]
        for e in submodules:
            lines += [f"   * - :doc:`{e.canonical}`", f"     - {_escape(_first_line(e.obj)) or ' '}"]
        lines.append("")
    data = [e for e in ns.entries if e.kind == "data"]
    if data:
        lines.append(_title("Data", "-"))
        for e in data:
            lines += [f".. py:data:: {e.name}", f"   :type: {type(e.obj).__module__}.{type(e.obj).__qualname__}"]
            value = repr(e.obj)
            if "\n" not in value and len(value) <= 80:
                lines.append(f"   :value: {value}")
            lines.append("")
    if pages:
        lines += [".. toctree::", "   :hidden:\n"] + [f"   {p}" for p in pages] + [""]
    return "\n".join(lines), pages


def api_index(namespaces):
    lines = [_title("API reference"),
             "One page per public class and function. The lists below are read from the modules "
             "when the site is built, so every public name has its page.\n",
             ".. list-table::", "   :widths: 30 70\n"]
    for ns in namespaces:
        lines += [f"   * - :doc:`{ns.name}`", f"     - {ns.summary}"]
    lines += ["", ".. toctree::", "   :hidden:\n"] + [f"   {ns.name}" for ns in namespaces] + [""]
    return "\n".join(lines)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:  # unchanged files keep Sphinx's cache valid
        path.write_text(text)


def generate(srcdir):
    """Write api/*.rst and code/**/*.rst under ``srcdir``; return the collected namespaces."""
    srcdir = Path(srcdir)
    namespaces = collect()
    documented_classes = {e.obj: e.canonical for ns in namespaces for e in ns.entries
                          if e.kind == "class" and e.canonical == f"{ns.name}.{e.name}"}
    api = srcdir / "api"
    wanted = {api / "index.rst"}
    _write(api / "index.rst", api_index(namespaces))
    for ns in namespaces:
        text, pages = namespace_page(ns)
        _write(api / f"{ns.name}.rst", text)
        wanted.add(api / f"{ns.name}.rst")
        for e in ns.entries:
            if e.kind not in ("class", "function") or e.canonical != f"{ns.name}.{e.name}":
                continue
            page = class_page(e, documented_classes) if e.kind == "class" else function_page(e)
            _write(api / f"{e.canonical}.rst", page)
            wanted.add(api / f"{e.canonical}.rst")
    for stale in set(api.glob("*.rst")) - wanted:
        stale.unlink()
    _write_source_pages(srcdir / "code")
    return namespaces


def _write_source_pages(codedir):
    """One page per lucid source file, every line an anchor ``L-<n>`` for the source links."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    formatter = HtmlFormatter(linenos="inline", linespans="L", cssclass="highlight lucid-source")
    wanted = set()
    for path in sorted((REPO_ROOT / "lucid").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        html = highlight(path.read_text(), PythonLexer(), formatter)
        body = "\n".join(("   " + line) if line.strip() else "" for line in html.splitlines())
        page = codedir / (rel + ".rst")
        _write(page, ":orphan:\n\n" + _title(rel) + "\n.. raw:: html\n\n" + body + "\n")
        wanted.add(page)
    for stale in set(codedir.rglob("*.rst")) - wanted:
        stale.unlink()


def source_location(module_name, fullname):
    """(repository-relative path, first line, last line) of an object, or None."""
    module = sys.modules.get(module_name)
    if module is None:
        return None
    obj = module
    for part in fullname.split("."):
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError:
            return None
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if inspect.ismodule(obj):
        return None
    obj = inspect.unwrap(obj) if callable(obj) else obj
    try:
        path = Path(inspect.getsourcefile(obj)).resolve()
        lines, start = inspect.getsourcelines(obj)
    except (TypeError, OSError):
        return None
    start = max(start, 1)  # a module's source starts at line 0 for inspect, at line 1 on the page
    try:
        rel = path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return None
    return rel, start, start + len(lines) - 1


def linkcode_resolve(domain, info):
    """The "source" link: the in-site source page, or LUCID_DOCS_SOURCE_URL/<path>#L<a>-L<b>."""
    if domain != "py" or not info.get("module"):
        return None
    where = source_location(info["module"], info["fullname"])
    if where is None:
        return None
    rel, start, end = where
    base = os.environ.get("LUCID_DOCS_SOURCE_URL")
    if base:
        return f"{base.rstrip('/')}/{rel}#L{start}-L{end}"
    # every page with an object description lives in api/, one level below the root
    return f"../code/{rel}.html#L{start}-L{end}"


def _default_init_docstring(app, what, name, obj, options, lines):
    """An ``__init__`` without its own docstring says where its parameters are described."""
    if name.endswith(".__init__") and (not lines or lines[0].startswith("Initialize self.")):
        cls_name = name.split(".")[-2]
        lines[:] = [f"Initialise the {cls_name}; see the class docstring for the parameters."]


def _public_bases(app, name, obj, options, bases):
    """Show public bases only: a private base (``_ConvNd``) is replaced by its own public ones."""
    shown = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if base.__name__.startswith("_") and _defined_in_lucid(base):
            pending[:0] = [b for b in base.__bases__ if b is not object]
        elif base not in shown:
            shown.append(base)
    bases[:] = shown or [object]


def _copy_mathjax(app, exc):
    """Copy MathJax 3 (tex-chtml, its fonts and lazily loaded parts) from the pip package."""
    if exc is not None or app.builder.format != "html":
        return
    root = Path(str(metadata.distribution("sphinx-mathjax-offline").locate_file(
        "sphinx-mathjax-offline/static/mathjax")))
    dest = Path(app.outdir) / "_static" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "tex-chtml.js", dest / "tex-chtml.js")
    for part in ("output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"):
        shutil.copytree(root / part, dest / part, dirs_exist_ok=True)


def _generate(app):
    generate(app.srcdir)


def setup(app):
    app.connect("builder-inited", _generate)
    app.connect("autodoc-process-docstring", _default_init_docstring)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
