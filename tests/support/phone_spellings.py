"""Hypothesis strategies for the ways a person writes one Algerian mobile number: grouped with spaces, dashes, dots
or nothing, the first group in parentheses or not, after a ``0``, ``+213`` or ``00213`` prefix, and with or without
an extension in any of the notations ``phonenumbers`` reads (``ext.``, ``x``, ``;ext=``, ``#``, ``,``)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from hypothesis import strategies as st

PREFIXES = ("0", "+213", "00213", "+213 ", "00213 ", "+213-", "+ 213 ")
SEPARATORS = ("", " ", "-", ".", "  ", " - ")
EXTENSION_MARKS = (" ext. ", " ext ", "ext.", " x", "x", " X ", ";ext=", " #", "#", ",", " extension ", " poste ")


@dataclass(frozen=True)
class Spelling:
    text: str
    has_extension: bool


def _grouped(significant: str, cuts: list[int], separators: list[str], bracket_first: bool) -> str:
    bounds = [0, *sorted(set(cuts)), len(significant)]
    groups = [significant[start:end] for start, end in pairwise(bounds) if end > start]
    if bracket_first:
        groups[0] = f"({groups[0]})"
    text = groups[0]
    for index, group in enumerate(groups[1:]):
        text += separators[index % len(separators)] + group
    return text


@st.composite
def spellings(draw: st.DrawFn, national: str) -> Spelling:
    """One way of writing ``national`` (``0XXXXXXXXX``), maybe with an extension after it."""
    significant = national.removeprefix("0")
    cuts = draw(st.lists(st.integers(min_value=1, max_value=len(significant) - 1), max_size=4))
    separators = draw(st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=4))
    prefix = draw(st.sampled_from(PREFIXES))
    bracket_first = draw(st.booleans())
    text = prefix + _grouped(significant, cuts, separators, bracket_first)
    extension = draw(st.one_of(st.none(), st.from_regex(r"[0-9]{1,5}", fullmatch=True)))
    if extension is None:
        return Spelling(text, has_extension=False)
    mark = draw(st.sampled_from(EXTENSION_MARKS))
    return Spelling(text + mark + extension, has_extension=True)
