"""The compiled PyTorch peers compute what the eager peers compute, and a
form that disagrees is a FAILED record (benchmarks/compiled_peers.py)."""

import pytest

from benchmarks import torch_lstm

pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(not torch_lstm.available(), reason="torch not installed")]


def test_mismatch_names_what_differs():
    import torch

    from benchmarks import compiled_peers as cp

    a_3 = torch.tensor([1.0, 2.0, 4.0])
    assert cp.mismatch([a_3], [a_3 + 1e-5], ["a"]) is None
    assert "a:" in cp.mismatch([a_3], [a_3 + 0.1], ["a"])
    assert "a:" in cp.mismatch([a_3], [a_3 * float("nan")], ["a"])


def test_a_form_that_disagrees_is_a_failed_record_not_a_timing():
    import torch

    from benchmarks import compiled_peers as cp

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

        def loss(self, b):
            return (self.w * b["x"]).sum()

    def wrong(net):
        net.loss = lambda b: (2 * net.w * b["x"]).sum()

    def make_step(net, b):
        return lambda: net.loss(b)

    recs = cp.time_train_forms(Net, {cp.EAGER: lambda n: None, "wrong": wrong},
                               {"x": torch.arange(3.0)}, make_step=make_step, warmup=0,
                               repeats=1)
    assert "median_s" in recs[0] and recs[0]["max_rel_diff"] == 0.0
    assert "disagrees" in recs[1]["failed"] and "median_s" not in recs[1]
    assert cp.fastest(recs) is recs[0]


def test_synthesis_forms_agree_with_eager():
    from benchmarks import throughput
    from benchmarks import torch_handwriting_train as peer

    config = throughput.model_config("synthesis", layers=2, hidden=8)
    batch = throughput.example_batch(config, 3, 6, chars=4, alphabet=5)
    recs = peer.synthesis_train_forms(batch, layers=2, hidden=8, alphabet=5, threads=1,
                                      warmup=0, repeats=1, mixtures=2, window=2)
    assert [r["form"] for r in recs] == ["eager", "torch.compile", "jit.script"]
    for r in recs:
        assert "failed" not in r, r
        assert r["max_rel_diff"] < 1e-4 and r["median_s"] > 0


def test_text_and_sampling_forms_are_checked_and_the_fastest_is_kept():
    from benchmarks import torch_handwriting as th

    recs = torch_lstm.train_forms(layers=1, hidden=8, batch=2, seq=3, vocab=7, threads=1,
                                  warmup=0, repeats=1)
    assert [r["form"] for r in recs] == ["eager", "torch.compile"]
    assert all("failed" not in r for r in recs)
    p = th.prediction_sample_time(layers=1, hidden=8, points=3, threads=1, repeats=1,
                                  batch=2, compiled=True)
    assert set(p["forms"]) == {"eager", "torch.compile"}
    assert p["median_s"] == min(f["median_s"] for f in p["forms"].values())
