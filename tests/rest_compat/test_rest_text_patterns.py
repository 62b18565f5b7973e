"""A text pattern of the REST request schemas is read by three regular-expression engines: ECMA-262's (clients and
schemathesis, from the OpenAPI document), Rust's (pydantic, enforcing it on the request) and Python's (the domain
trims with ``str.strip()`` and checks emails with ``re``). They disagree on ``\\s``; a schemathesis run found an
email the document allows (U+0085 inside it) refused by the request model. Each pattern must read the same in all
three."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import jsonschema_rs
import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from rest_compat.input_types import TEXT_RULES
from storegraph.platform.validation import WHITESPACE

PYTHON_WHITESPACE = frozenset(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
# ECMA-262's \s that Python's leaves out, and characters some engine may take for a space.
OTHER_SPACES = frozenset({"\ufeff", "\u180e", "\u200b", "\u2060"})


def samples(character: str) -> list[str]:
    """Texts with ``character`` alone, at either end and inside: of a word, an email's parts, a URL's host and
    path."""
    return [
        character,
        f"a{character}",
        f"{character}a",
        f"a{character}b@x.dz",
        f"a@x{character}.dz",
        f"{character}a@x.dz{character}",
        f"https://a{character}b/",
        f"https://a/{character}",
    ]


def test_whitespace_is_what_python_strips():
    spelled_out = {chr(code) for code in range(sys.maxunicode + 1) if re.fullmatch(f"[{WHITESPACE}]", chr(code))}

    assert spelled_out == PYTHON_WHITESPACE


@pytest.mark.parametrize("pattern", sorted(TEXT_RULES), ids=lambda pattern: TEXT_RULES[pattern].summary)
def test_a_text_pattern_reads_the_same_in_every_engine(pattern):
    request_model = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    document = {"type": "string", "pattern": pattern}
    disagreements = []
    for character in sorted(PYTHON_WHITESPACE | OTHER_SPACES):
        for text in samples(character):
            python = re.fullmatch(pattern, text) is not None
            ecma = jsonschema_rs.is_valid(document, text)
            try:
                request_model.validate_python(text)
                rust = True
            except ValidationError:
                rust = False
            if not python == ecma == rust:
                disagreements.append((text, {"python": python, "ecma": ecma, "rust": rust}))

    assert disagreements == []
