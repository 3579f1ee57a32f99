"""Handwriting outside the models: drawing ink (SVG/PNG), figures, the
shipped and saved styles, ink files in and out, page layout and padding,
and legibility (CER/WER of writing read back).

  render.py       lines of ink as SVG and PNG pages
  plots.py        the figures people read (alignment, density, legibility)
  styles.py       priming styles: shipped, saved, from a file
  ink.py          ink files in (npy, npz, JSON, InkML) and out
  page.py         a text as a page's lines
  page_sizes.py   the padded sizes that keep compiled samplers few
  error_rates.py  character and word error rates
  legibility.py   write, read back, score
"""
