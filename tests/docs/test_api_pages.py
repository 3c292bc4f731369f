"""The API page generator (docs/_ext/lucid_api.py): which names get pages, what the Methods list says.

These run without Sphinx: the generator reads modules with ``inspect`` only.
"""

import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_ext"))
import lucid_api  # noqa: E402

sys.path.pop(0)


class _Root:
    def inherited(self):
        """From a public root class."""


class _Private(_Root):
    def from_private_base(self):
        """Defined on a private base."""


class Example(_Private):
    """An example class."""

    def __init__(self):
        pass

    def method(self):
        """A method."""

    @classmethod
    def build(cls):
        """A classmethod."""

    @staticmethod
    def helper():
        """A staticmethod."""

    @property
    def size(self):
        """A property."""
        return 1

    def _private(self):
        pass


for cls in (_Root, _Private, Example):
    cls.__module__ = "lucid.example"


def test_each_public_method_is_listed_with_its_kind():
    here, inherited = lucid_api.class_methods(Example, {_Root: "lucid.example.Root"})
    kinds = {name: kind for name, kind, _ in here}
    assert kinds == {"__init__": "dunder", "method": "method", "build": "classmethod", "helper": "staticmethod",
                     "size": "property", "from_private_base": "method"}
    assert [name for name, _, _ in here][0] == "__init__"
    assert inherited == {_Root: ["inherited"]}


def test_methods_of_a_root_class_without_a_page_are_listed_in_full():
    here, inherited = lucid_api.class_methods(Example, {})
    assert "inherited" in {name for name, _, _ in here} and not inherited


def test_public_names_follow_all_or_else_the_names_lucid_defines():
    module = types.ModuleType("lucid.example")
    module.Example = Example
    module.np = types  # a module: never a public name
    module.imported = Path  # defined outside lucid
    module._hidden = Example
    module.helper = lucid_api.public_names  # a function defined in another module
    assert lucid_api.public_names(module) == ["Example"]
    module.__all__ = ["imported"]
    assert lucid_api.public_names(module) == ["imported"]


def test_a_submodule_listed_as_public_gets_its_own_namespace():
    found = {ns.name: ns for ns in lucid_api.collect([("lucid.nn.utils", "utilities")])}
    listed = [e for e in found["lucid.nn.utils"].entries if e.kind == "module"]
    assert listed and all(e.canonical in found for e in listed)
    assert lucid_api.source_location("lucid.nn", "utils") is None  # a module has no line range


def test_a_namespace_that_does_not_exist_yet_is_skipped():
    found = lucid_api.collect([("lucid.nn", "layers"), ("lucid.no_such_namespace.sub", "not yet")])
    assert [ns.name for ns in found] == ["lucid.nn"]


def test_an_object_exposed_twice_has_one_page_nearest_its_definition():
    found = {ns.name: ns for ns in lucid_api.collect()}
    entries = {e.name: e for e in found["lucid"].entries}
    assert entries["no_grad"].canonical == "lucid.autograd.no_grad"  # defined in lucid.autograd.grad_mode
    assert entries["Tensor"].canonical == "lucid.Tensor"
    nn = {e.name: e for e in found["lucid.nn"].entries}
    assert nn["LazyConvTranspose1d"].canonical == "lucid.nn.LazyConvTranspose1d"
    functional = {e.name for e in found["lucid.nn.functional"].entries}
    assert {"conv_transpose1d", "conv1d", "linear"} <= functional
    assert "positive_int" not in functional  # a helper imported from lucid.nn._checks


@pytest.mark.parametrize("module, fullname, where", [
    ("lucid.nn", "ConvTranspose1d.forward", "lucid/nn/modules/conv.py"),
    ("lucid.nn.utils", "materialize", "lucid/nn/utils/_shape_only.py"),
], ids=["a method", "a function"])
def test_source_links_point_at_the_defining_lines(module, fullname, where, monkeypatch):
    monkeypatch.delenv("LUCID_DOCS_SOURCE_URL", raising=False)
    rel, start, end = lucid_api.source_location(module, fullname)
    assert rel == where and start < end
    text = (lucid_api.REPO_ROOT / rel).read_text().splitlines()
    assert text[start - 1].lstrip().startswith("def " + fullname.split(".")[-1])
    assert lucid_api.linkcode_resolve("py", {"module": module, "fullname": fullname}) == \
        f"../code/{rel}.html#L{start}-L{end}"
    monkeypatch.setenv("LUCID_DOCS_SOURCE_URL", "https://example.org/lucid/blob/main/")
    assert lucid_api.linkcode_resolve("py", {"module": module, "fullname": fullname}) == \
        f"https://example.org/lucid/blob/main/{rel}#L{start}-L{end}"
