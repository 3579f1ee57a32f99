"""What every command shares: the preamble each door runs first (quiet
console, compilation cache, flag checks, a `UserError` as one FATAL line),
the console's busy line, the flag rules, the user's errors, the persistent
compilation cache and the cold-start phase timer.

  preamble.py     run(main): the one way a command starts and fails
  console.py      a quiet console, a busy line, progress
  flag_checks.py  one rule per flag, checked before any work
  errors.py       UserError and its kinds: one line naming the fix
  jax_cache.py    the persistent XLA compilation cache's directory
  phases.py       where a cold start spends its seconds ($SEQGEN_TIMINGS)
"""
