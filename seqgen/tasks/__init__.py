"""The LSTM-1997 experiment suite (Hochreiter & Schmidhuber 1997, section 5).

  config.py     the fields of a task config, and the variants after the colon
  problem.py    a config's task: training stream, fixed sets, test draws
  nets.py       the nets compared: lstm1997, lstm (forget gate), rnn (tanh)
  objective.py  output squashing, loss, the per-sequence correctness rules
  trainer.py    trials: online SGD, vmapped over trials, criteria and caps
  online.py     the paper's per-step rule for the 1997 net (optional)
  run.py        one trial from `python -m seqgen.main --config=configs/tasks/...`
  report.py     `python -m seqgen.tasks.report --trials=10`: the table

The generators themselves live in seqgen/data/tasks.py; the nets in
seqgen/models/lstm1997.py and seqgen/models/rnn.py.
"""
