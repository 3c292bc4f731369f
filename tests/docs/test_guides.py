"""The guides' examples are doctests: each guide under docs/guides runs as it is shown."""

import doctest
from pathlib import Path

import pytest

GUIDES = sorted((Path(__file__).resolve().parents[2] / "docs" / "guides").glob("*.md"))


def test_there_are_guides():
    assert {g.stem for g in GUIDES} >= {"quickstart", "lazy", "porting", "checkpoints", "performance", "design"}


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_the_guide_examples_run_as_shown(guide):
    result = doctest.testfile(str(guide), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE,
                              verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {guide.name} failed"
