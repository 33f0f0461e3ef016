"""The command line that computes paper-scale parts, generated from the chapter registry."""

import pytest

from lrlib.papers import CHAPTERS
from lrlib.papers.__main__ import registry, select


def test_every_chapters_parts_are_named_and_the_costly_ones_come_last():
    parts = registry()
    assert {name.split(".")[0] for name in parts} == set(CHAPTERS)
    costly = [part.costly for part in parts.values()]
    assert costly == sorted(costly), "cheap parts first, costly parts last"
    assert {"ch3.sweeps", "ch5.phase"} <= {name for name, part in parts.items() if part.costly}


def test_a_chapter_key_selects_all_its_parts_and_names_keep_their_order():
    parts = registry()
    ch5 = [name for name in parts if name.startswith("ch5.")]
    assert select(["ch5"], parts) == ch5
    assert select(["ch5.phase", "ch5", "ch1.main"], parts) == ["ch5.phase"] + [n for n in ch5 if n != "ch5.phase"] + [
        "ch1.main"
    ]
    assert select([], parts, gpu=True) == list(parts)
    gpu_only = {"ch2.patch", "ch2.figure1", "ch4.cifar"}
    assert select([], parts) == [n for n in parts if n not in gpu_only], "a CPU does not start GPU settings unasked"
    assert select(["ch4.cifar"], parts) == ["ch4.cifar"]


def test_an_unknown_part_is_a_one_line_error_listing_the_choices():
    with pytest.raises(
        SystemExit, match="unknown part 'ch5-phase'; use a chapter \\(ch0, ch1, ch2, ch3, ch4, ch5\\) or one of: "
    ):
        select(["ch5-phase"], registry())
