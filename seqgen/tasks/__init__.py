"""The LSTM-1997 experiment suite (Hochreiter & Schmidhuber 1997, section 5).

  config.py     the fields of a task config and its smoke variant
  problem.py    a config's task: training stream, fixed sets, test draws
  nets.py       the nets compared: lstm1997, lstm (forget gate), rnn (tanh)
  objective.py  output squashing, loss, the per-sequence correctness rules
  trainer.py    trials: online SGD, vmapped over trials, criteria and caps;
                train_and_evaluate(config, workdir): one config's trials
  online.py     the paper's per-step rule for the 1997 net (optional)
  main.py       `python -m seqgen.tasks.main --config=configs/tasks/...`
  report.py     `python -m seqgen.tasks.report --trials=10`: the table

The generators themselves live in seqgen/tasks/generators.py; the nets in
seqgen/tasks/lstm1997.py and seqgen/tasks/rnn.py.
"""
