"""One run of a 1997-task config from `python -m seqgen.main`: train
`config.train.trials` trials (default 1) of `config.model`, print whether
each succeeded and after how many training sequences, and leave the
result in <workdir>/result.json."""

from __future__ import annotations

import json
import pathlib

import ml_collections

from seqgen.tasks import trainer


def run(config: ml_collections.ConfigDict, workdir: str) -> trainer.RunResult:
    result = trainer.run_trials(config, config.model, range(config.train.trials))
    for t in result.trials:
        verdict = (f"success after {t.sequences:,} sequences" if t.success else
                   f"failed ({'diverged' if t.diverged else 'cap'}) after "
                   f"{t.sequences:,} sequences")
        print(f"{result.task} {result.net} ({result.weights} weights), trial {t.trial}: "
              f"{verdict}; {t.test_wrong}/{t.test_total} test sequences wrong")
    print(f"{len(result.successes)}/{len(result.trials)} trials succeeded in "
          f"{result.seconds:.1f} s")
    out = pathlib.Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    record = dict(result.to_json(), config=config.to_dict())
    (out / "result.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    return result
