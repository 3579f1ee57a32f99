"""The config machinery: the fields every config has, each kind's base, the
`name:variant,key=value` argument, shipped names, and the checks run before
training. The config files themselves are seqgen/configs/.

  common.py       fields of every run (steps, batch, optimiser, eval, ...)
  text.py         the text kind's base and variants
  handwriting.py  the handwriting kinds' bases (prediction, synthesis,
                  recognition) and their smoke variants
  tasks.py        the 1997 suite's task configs and smoke variant
  variants.py     `get_config(arg)` argument parsing, `sweep(add)` helpers
  files.py        a --config path or a shipped config's name -> ConfigDict
  checks.py       impossible or inconsistent values, as one-line errors
"""
