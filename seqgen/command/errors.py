"""Errors caused by the user's input, not by seqgen.

Their message is one line that names the file or the setting and the fix;
the command-line entry points print it without a traceback. They subclass
ValueError so callers that expect one keep working.
"""


class UserError(ValueError):
    """Bad input: a config value, a file, a workdir, a checkpoint."""


class ConfigError(UserError):
    """An impossible or inconsistent config value."""


class NonFiniteError(UserError):
    """Training hit NaN/Inf steps and config.nonfinite_policy says stop."""
