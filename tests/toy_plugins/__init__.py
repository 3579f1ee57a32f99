"""Kinds and datasets from outside the package, as a user would write them
(tests/ is on sys.path under pytest: import them as toy_plugins.*)."""
