"""seqgen: Graves-style sequence generation with deep LSTMs in JAX/Flax.

Commands: `seqgen <verb>` (seqgen/cli.py) or `python -m seqgen.<module>`.
"""

__version__ = "0.1.0"  # setup.cfg reads it (version = attr: seqgen.__version__)
