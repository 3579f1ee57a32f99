"""A page of handwriting as lines of text: the given text split at its
newlines and wrapped at a width in characters, like the training lines.

Dimension letters: none (strings).
"""

from __future__ import annotations

import textwrap

from seqgen.command.errors import UserError

MAX_CHARS = 2000  # a page, not a book: the sampler's memory grows with the text


def split_lines(text: str, wrap: int) -> list[str]:
    """Paragraphs (newline-separated) wrapped at `wrap` characters."""
    text = text.replace("\\n", "\n")
    if not text.strip():
        raise UserError("--text is empty; give the text to write")
    if len(text) > MAX_CHARS:
        raise UserError(f"--text has {len(text)} characters; write at most {MAX_CHARS} "
                        "at a time")
    lines = []
    for paragraph in text.split("\n"):
        # A word longer than `wrap` stays whole: the model writes any length.
        lines += textwrap.wrap(paragraph, wrap, break_long_words=False) \
            if paragraph.strip() else []
    return lines
