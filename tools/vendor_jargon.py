"""Rebuild seqgen/third_party/jargon/jargon_sentences.txt.gz from Debian's dict-jargon.

  apt-get install dict-jargon                  # once: the Jargon File 4.4.7
  python -m tools.vendor_jargon --out=seqgen/third_party/jargon/jargon_sentences.txt.gz

The Jargon File (public domain) is the modern-vocabulary prose of drawn
handwriting's mixed texts (seqgen/data/drawn_mix.py): computing words
(email, password, download, online, software) in plain sentences. Only its
lexicon entries' prose is kept, cleaned to sentences every training font can
draw; seqgen/third_party/jargon/PROVENANCE.md records the package, the
checksums and these rules:

- Entries: a headword at column 0, its prose in paragraphs indented by
  exactly four spaces. dictfmt's header entries ('00-database-*'), the
  pronunciation lines (one space), indented examples, tables and poems
  (deeper indents, box-drawing characters) are left out.
- Cleaning: cross-reference braces are dropped ('{bit bucket}' -> 'bit
  bucket'), typographic quotes and dashes become ASCII, bracketed asides
  ('[techspeak]', etymologies) and sense numbers ('2. ') are removed.
- Sentences: split after '.', '!' or '?' before a capital letter or quote;
  one is kept when it has 4+ words and 20-300 characters, only characters
  of ALLOWED, no address (http, www., '@', '.com'), no pronunciation
  ('/bay't@/'), no crude word (CRUDE_WORDS, CRUDE_STEMS) and none of
  RESERVED: Moby-Dick and State of the Union texts are kept for an
  independent check and even their names stay out. A dropped sentence
  ends the paragraph there, so no text line joins the sentences around it.
- Output: the kept sentences of each paragraph on one line, paragraphs
  separated by a blank line, in the File's (alphabetical) order; gzip with
  mtime 0, so the file is the same byte for byte on every rebuild.
"""

from __future__ import annotations

import gzip
import pathlib
import re
import string

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS
JARGON_DICT = pathlib.Path("/usr/share/dictd/jargon.dict.dz")
# Characters every training font draws (seqgen/data/fonts.py WRITER_FONTS).
ALLOWED = frozenset(string.ascii_letters + string.digits + " .,;:'\"!?()-&/$%+=")
ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
         "\u2013": "-", "\u00a0": " ", "\u00ad": "", "\u00b4": "'", "\u2212": "-"}
# Never in the vendored text: the reserved corpora, even by name.
RESERVED = ("moby dick", "moby-dick", "ishmael", "melville", "state of the union",
            "state of our union")
# Crude words stay out of a writer's training text: whole words, or any word
# that starts with one of CRUDE_STEMS.
CRUDE_WORDS = frozenset("piss pissed bastard bastards dick dicks cock cocks fag fags rape "
                        "raped sex sexual sexy tits crap crappy damn damned hell".split())
CRUDE_STEMS = ("fuck", "shit", "cunt", "bitch", "asshole", "whore", "nigger", "porn")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"']))\s+(?=[A-Z\"'])")
_PRONUNCIATION = re.compile(r"/[^/\s]*['@\u00b7][^/\s]*/")


def _define_flags() -> None:
    flags.DEFINE_string("dict", str(JARGON_DICT), "dict-jargon's jargon.dict.dz.")
    flags.DEFINE_string("out", None, "Where to write the gzipped sentences.")


def entries(raw: str) -> list[tuple[str, list[str]]]:
    """(headword, raw lines) of each lexicon entry."""
    out: list[tuple[str, list[str]]] = []
    for line in raw.split("\n"):
        if line and not line[0].isspace():
            out.append((line.strip(), []))
        elif out:
            out[-1][1].append(line)
    return [(h, body) for h, body in out if not h.startswith("00-database")]


def paragraphs(body: list[str]) -> list[str]:
    """The entry's prose paragraphs (exactly four spaces of indent), joined."""
    out, current, prose = [], [], True
    for line in body + [""]:
        if line.strip():
            current.append(line)
            indent = len(line) - len(line.lstrip(" "))
            prose = prose and indent == 4 and not re.search("[\u2500-\u257f]", line)
        else:
            if current and prose:
                out.append(" ".join(s.strip() for s in current))
            current, prose = [], True
    return out


def clean(paragraph: str) -> str:
    for typographic, plain in ASCII.items():
        paragraph = paragraph.replace(typographic, plain)
    paragraph = re.sub(r"\{\s*([^{}]*?)\s*\}", r"\1", paragraph)
    paragraph = re.sub(r"\[[^\[\]]*\]", "", paragraph)
    paragraph = re.sub(r"^\s*\d+\.\s+", "", paragraph)
    return re.sub(r"\s+", " ", paragraph).strip()


def keep(sentence: str) -> bool:
    lower = sentence.lower()
    words = re.findall(r"[a-z]+", lower)
    return (len(sentence.split()) >= 4 and 20 <= len(sentence) <= 300
            and set(sentence) <= ALLOWED and re.search("[a-z]", sentence) is not None
            and not any(a in lower for a in ("http", "www.", "@", ".com", "ftp"))
            and not _PRONUNCIATION.search(sentence)
            and not any(r in lower for r in RESERVED)
            and not any(w in CRUDE_WORDS or w.startswith(CRUDE_STEMS) for w in words))


def sentences_text(raw: str) -> str:
    """The kept sentences, a paragraph a line, blank lines between (see the docstring)."""
    blocks: list[str] = []
    for _, body in entries(raw):
        for paragraph in paragraphs(body):
            run: list[str] = []
            for sentence in _SENTENCE_END.split(clean(paragraph)):
                if keep(sentence):
                    run.append(sentence)
                elif run:
                    blocks.append(" ".join(run))
                    run = []
            if run:
                blocks.append(" ".join(run))
    return "\n\n".join(blocks) + "\n"


RULES = {"dict": fc.existing_file("dict-jargon's jargon.dict.dz (apt-get install dict-jargon)"),
         "out": fc.out_file(".gz")}


def main() -> None:
    path = pathlib.Path(FLAGS.dict)
    if not path.is_file():
        raise UserError(f"{path} is missing: apt-get install dict-jargon")
    text = sentences_text(gzip.decompress(path.read_bytes()).decode("utf-8"))
    data = gzip.compress(text.encode("ascii"), compresslevel=9, mtime=0)
    pathlib.Path(FLAGS.out).write_bytes(data)
    print(f"wrote {len(text):,} characters ({len(data):,} bytes gzipped) to {FLAGS.out}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
