"""Legibility: texts written by a synthesis model and read back by a
recogniser, scored by character and word error rate (CER, WER).

`python -m seqgen.legibility` writes the table; a synthesis run reads its
own writing back at every evaluation when its config names a recogniser
(config.eval.recogniser); `python -m seqgen.legibility_curve` follows one
cell over a run's checkpoints.

Dimension letters: none (lists of lines).
"""

from __future__ import annotations

import jax
import numpy as np

from seqgen.handwriting import error_rates, page_sizes, verify

BATCH = 50  # texts written per sampling call (bounds memory; one compile per bucket)


def read_back(reader_kind, reader_model, writer_meta: dict, lines: list[np.ndarray],
              texts: list[str]) -> tuple[error_rates.ErrorCounts, list[tuple[str, str]]]:
    """Error counts of reading `lines` (raw units of the writer's data) against
    `texts`, and the (asked, read) pairs. Ink from another dataset than the
    reader's is first fitted to the reader's size and spacing."""
    read = verify.reader(reader_kind, reader_model, writer_meta)
    pairs = list(zip(texts, read(lines), strict=True))
    return error_rates.total(pairs), pairs


def test_texts(writer, num: int) -> list[str]:
    """The first `num` test texts the writer's alphabet can write (loads its data)."""
    writer.load_data()
    return [t for t in writer.splits.test.texts
            if t.strip() and not writer.alphabet.unseen(t)][:num]


def cell(writer, model, reader, reader_model, texts, bias, prime, seed,
         verifier=None) -> dict:
    """`texts` written at `bias` (primed or not) and read back by the judge:
    CER, WER, the stop rule's share, the words dropped (deletions of the
    judge's word alignment, per line), and the lines with their (asked, read)
    pairs. With `verifier` (a verify.ReadFn: the product reader) each batch
    is written verified (seqgen/handwriting/verify.py) and `doubtful` counts
    the lines still failing the verifier; the judge grades either way."""
    lines, stopped, doubtful = [], [], 0
    for i in range(0, len(texts), BATCH):
        key = jax.random.fold_in(jax.random.key(seed), i)
        batch = texts[i:i + BATCH]
        if verifier is None:
            w = writer.write(model, batch, bias, key, prime)
        else:
            def write_rows(rows: list[str], k: jax.Array) -> dict:
                # Padded to a full batch: the sampler compiled for it serves every retry.
                padded = rows + [rows[-1]] * (BATCH - len(rows))
                return page_sizes.first_rows(writer.write(model, padded, bias, k, prime),
                                             len(rows))
            checked = verify.verified_write(write_rows, verifier, batch, key,
                                            max_rows=BATCH)
            w, doubtful = checked.written, doubtful + len(checked.doubtful)
        lines += list(w["lines"])
        stopped += [bool(s) for s in w["stopped"]]
    errors, pairs = read_back(reader, reader_model, writer.meta, lines, texts)
    per_line = [error_rates.counts(a, r).cer for a, r in pairs]
    dropped = [verify.dropped_words(a, r) for a, r in pairs]
    return {"cer": errors.cer, "wer": errors.wer, "stop_rate": float(np.mean(stopped)),
            "dropped_words": int(sum(dropped)),
            "lines_with_dropped_words": int(sum(d > 0 for d in dropped)),
            "doubtful": doubtful if verifier is not None else None,
            "lines": lines, "pairs": pairs, "per_line_cer": per_line}


def markdown_table(results: dict, biases: list[float], num_texts: int, step: int) -> str:
    """One row per style, a CER / WER / stop-rule cell per bias, from the
    {(row, bias): cell} results."""
    rows = list(dict.fromkeys(r for r, _ in results))
    table = [f"| {num_texts} test texts, step {step} | "
             + " | ".join(f"bias {b:g}: CER / WER / stop" for b in biases) + " |",
             "|---|" + "---|" * len(biases)]
    for r in rows:
        table.append(f"| {r} | " + " | ".join(
            "{cer:.1%} / {wer:.1%} / {stop_rate:.0%}".format(**results[(r, b)])
            for b in biases) + " |")
    return "\n".join(table) + "\n"
