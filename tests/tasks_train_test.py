"""The 1997 LSTM against a numpy re-derivation of Hochreiter & Schmidhuber
(1997): its forward pass, its truncated gradient computed forward in time
as in the paper's appendix, and full BPTT against finite differences; the
weight counts of the paper's nets; the success rules; the stopping rule's
arithmetic; and one real solve (task 2a, p = 100) from the command line."""

import importlib.util
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.tasks import lstm1997, nets, objective, problem, rnn, trainer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ("reber", "long_lag", "long_lag_noise", "adding", "multiplication",
           "temporal_order", "periodic")


def load_config(name: str, arg: str | None = None):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(REPO, "seqgen", "configs", "tasks", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(arg)


# ---------------------------------------------------------------------------
# The paper's equations, one unit at a time, in float64.
# ---------------------------------------------------------------------------

def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def unpack(net: lstm1997.LSTM1997) -> dict:
    """Per-unit weight vectors over the sources [input x_t, previous cells
    y_c, previous input gates, previous output gates] and biases."""
    o = net.opts
    J, S = o.num_blocks, o.block_size
    C = J * S
    w = np.concatenate([np.asarray(net.w_x[...], np.float64),
                        np.asarray(net.w_r[...], np.float64)])  # [D + U, U]
    b_cell = np.asarray(net.b_cell[...], np.float64) if net.b_cell is not None else np.zeros(C)
    b_gate = np.asarray(net.b_gate[...], np.float64) if net.b_gate is not None \
        else np.zeros(2 * J)
    return {"cell": [w[:, c] for c in range(C)], "in": [w[:, C + j] for j in range(J)],
            "out": [w[:, C + J + j] for j in range(J)], "b_cell": b_cell,
            "b_in": b_gate[:J], "b_out": b_gate[J:],
            "w_y": np.asarray(net.readout.w[...], np.float64),
            "b_y": np.asarray(net.readout.b[...], np.float64), "J": J, "S": S}


def paper_forward(p: dict, x_TxD: np.ndarray, g_range=2.0, h_range=1.0):
    """Section 4: s_c(t) = s_c(t-1) + y_in(t) g(net_c(t)); y_c = y_out h(s_c)."""
    g = lambda z: g_range * (2 * sig(z) - 1)  # noqa: E731  (4 sig - 2)
    h = lambda z: h_range * (2 * sig(z) - 1)  # noqa: E731  (2 sig - 1)
    J, S = p["J"], p["S"]
    C = J * S
    y_c, y_in, y_out, s = np.zeros(C), np.zeros(J), np.zeros(J), np.zeros(C)
    tape = []
    for x in x_TxD:
        src = np.concatenate([x, y_c, y_in, y_out])  # y^u(t-1) of every source u
        net_in = np.array([p["in"][j] @ src + p["b_in"][j] for j in range(J)])
        net_out = np.array([p["out"][j] @ src + p["b_out"][j] for j in range(J)])
        y_in, y_out = sig(net_in), sig(net_out)
        net_c = np.array([p["cell"][c] @ src + p["b_cell"][c] for c in range(C)])
        s = s.copy()
        y_c = np.zeros(C)
        for j in range(J):
            for v in range(S):
                c = j * S + v
                s[c] = s[c] + y_in[j] * g(net_c[c])
                y_c[c] = y_out[j] * h(s[c])
        z = y_c @ p["w_y"] + p["b_y"]
        tape.append(dict(src=src, net_in=net_in, net_out=net_out, y_in=y_in,
                         y_out=y_out, net_c=net_c, s=s, y_c=y_c, z=z))
    return tape


def paper_loss(tape, target_TxK):
    return sum(0.5 * np.sum((sig(step["z"]) - t) ** 2)
               for step, t in zip(tape, target_TxK, strict=True))


def paper_truncated_gradient(p: dict, tape, target_TxK, g_range=2.0, h_range=1.0):
    """The paper's appendix A.1: errors reach cells and gates only from the
    outputs at the same step; the state's sensitivities to the cell-input
    and input-gate weights are carried forward in time (RTRL-style)."""
    dg = lambda z: g_range * 2 * sig(z) * (1 - sig(z))  # noqa: E731
    h = lambda z: h_range * (2 * sig(z) - 1)  # noqa: E731
    dh = lambda z: h_range * 2 * sig(z) * (1 - sig(z))  # noqa: E731
    J, S = p["J"], p["S"]
    C = J * S
    n_src = len(tape[0]["src"])
    grad = {"cell": np.zeros((C, n_src)), "in": np.zeros((J, n_src)),
            "out": np.zeros((J, n_src)), "b_cell": np.zeros(C), "b_in": np.zeros(J),
            "b_out": np.zeros(J), "w_y": np.zeros_like(p["w_y"]), "b_y": np.zeros_like(p["b_y"])}
    ds_dwc = np.zeros((C, n_src + 1))  # d s_c / d (w_{c,u}, bias_c)
    ds_dwin = np.zeros((C, n_src + 1))  # d s_c / d (w_{in_j,u}, bias_in_j), j = c's block
    for step, t in zip(tape, target_TxK, strict=True):
        src1 = np.append(step["src"], 1.0)
        y = sig(step["z"])
        delta_k = (y - t) * y * (1 - y)  # dE/dnet_k
        grad["w_y"] += np.outer(step["y_c"], delta_k)
        grad["b_y"] += delta_k
        e_c = p["w_y"] @ delta_k  # dE/dy_c, truncated: no error through time
        for j in range(J):
            f_out = step["y_out"][j] * (1 - step["y_out"][j])
            d_out = sum(e_c[j * S + v] * h(step["s"][j * S + v]) for v in range(S)) * f_out
            grad["out"][j] += d_out * step["src"]
            grad["b_out"][j] += d_out
            f_in = step["y_in"][j] * (1 - step["y_in"][j])
            for v in range(S):
                c = j * S + v
                net_c = step["net_c"][c]
                ds_dwc[c] += dg(net_c) * step["y_in"][j] * src1
                ds_dwin[c] += g_range * (2 * sig(net_c) - 1) * f_in * src1
                e_s = e_c[c] * step["y_out"][j] * dh(step["s"][c])
                grad["cell"][c] += e_s * ds_dwc[c][:-1]
                grad["b_cell"][c] += e_s * ds_dwc[c][-1]
                grad["in"][j] += e_s * ds_dwin[c][:-1]
                grad["b_in"][j] += e_s * ds_dwin[c][-1]
    return grad


def jax_grads_as_paper(net, x_TxD, target_TxK):
    graphdef, params = nnx.split(net)

    def loss(ps):
        z = nnx.merge(graphdef, ps)(jnp.asarray(x_TxD, jnp.float32)[None])[0]
        return 0.5 * jnp.sum((jax.nn.sigmoid(z) - target_TxK) ** 2)

    g = jax.grad(loss)(params)
    o = net.opts
    J, C = o.num_blocks, o.num_blocks * o.block_size
    w = np.concatenate([np.asarray(g["w_x"][...]), np.asarray(g["w_r"][...])])
    b_gate = np.asarray(g["b_gate"][...])
    return {"cell": w[:, :C].T, "in": w[:, C:C + J].T, "out": w[:, C + J:].T,
            "b_cell": np.asarray(g["b_cell"][...]), "b_in": b_gate[:J], "b_out": b_gate[J:],
            "w_y": np.asarray(g["readout"]["w"][...]),
            "b_y": np.asarray(g["readout"]["b"][...])}


def small_net(truncate: bool, seed: int = 0) -> lstm1997.LSTM1997:
    opts = lstm1997.LSTM1997Options(num_blocks=2, block_size=2, init_scale=0.6,
                                    in_gate_bias=(-0.5, 0.3), truncate=truncate)
    return lstm1997.LSTM1997(3, 2, opts, rngs=nnx.Rngs(seed))


def sequence(T=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, 3)), rng.uniform(size=(T, 2))


def test_forward_matches_the_paper_equations():
    net = small_net(truncate=True)
    x, _ = sequence()
    tape = paper_forward(unpack(net), x)
    y_c, s_c = net.hidden(jnp.asarray(x, jnp.float32)[None])
    np.testing.assert_allclose(np.asarray(s_c[0]), [st["s"] for st in tape], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(y_c[0]), [st["y_c"] for st in tape], rtol=1e-5,
                               atol=1e-6)
    z = net(jnp.asarray(x, jnp.float32)[None])[0]
    np.testing.assert_allclose(np.asarray(z), [st["z"] for st in tape], rtol=1e-5, atol=1e-6)


def test_truncated_gradient_is_the_papers():
    net = small_net(truncate=True)
    x, target = sequence()
    p = unpack(net)
    want = paper_truncated_gradient(p, paper_forward(p, x), target)
    got = jax_grads_as_paper(net, x, target)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=2e-4, atol=1e-6, err_msg=k)


def test_full_bptt_gradient_matches_finite_differences():
    net = small_net(truncate=False)
    x, target = sequence()
    p = unpack(net)
    got = jax_grads_as_paper(net, x, target)
    eps = 1e-6
    rng = np.random.default_rng(0)
    for key in ("cell", "in", "out", "b_in", "w_y"):
        arr = np.asarray(p[key], np.float64)
        for idx in [tuple(rng.integers(s) for s in arr.shape) for _ in range(6)]:
            def loss_at(delta, key=key, arr=arr, idx=idx):
                q = dict(p)
                a = np.array(arr)
                a[idx] += delta
                q[key] = list(a) if isinstance(p[key], list) else a
                return paper_loss(paper_forward(q, x), target)
            numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
            np.testing.assert_allclose(got[key][idx], numeric, rtol=2e-3, atol=2e-5,
                                       err_msg=f"{key}{idx}")
    # The truncation is real: the full gradient of the recurrent weights differs.
    trunc = jax_grads_as_paper(small_net(truncate=True), x, target)
    assert np.abs(trunc["cell"] - got["cell"]).max() > 1e-3


def test_tanh_rnn_forward_matches_numpy():
    net = rnn.TanhRNN(3, 2, 5, init_scale=0.5, output_bias=True, input_to_output=True,
                      rngs=nnx.Rngs(1))
    x, _ = sequence()
    w_x, w_h, b = (np.asarray(v[...], np.float64) for v in (net.w_x, net.w_h, net.b))
    w_y, b_y, w_in = (np.asarray(v[...], np.float64) for v in
                      (net.readout.w, net.readout.b, net.readout.w_in))
    h, want = np.zeros(5), []
    for x_t in x:
        h = np.tanh(x_t @ w_x + h @ w_h + b)
        want.append(h @ w_y + b_y + x_t @ w_in)
    got = net(jnp.asarray(x, jnp.float32)[None])[0]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,arg,weights", [
    ("reber", None, 276), ("reber", "4x1", 264),  # Table 2
    ("adding", None, 93), ("multiplication", None, 93),  # Tables 7, 8
    ("temporal_order", None, 156), ("temporal_order", "6b", 308),  # Table 9
    ("long_lag_noise", "q=50,p=50", 364), ("long_lag_noise", "q=1000,p=1000", 6064),
])
def test_nets_have_the_papers_weight_counts(name, arg, weights):
    c = load_config(name, arg)
    if name == "long_lag_noise":  # Table 4's wiring, before our 6 added biases
        c.lstm1997.gate_bias = c.lstm1997.output_bias = False
        c.lstm1997.in_gate_bias = ()
    prob = problem.build(c)
    net = nets.factory(c, "lstm1997", prob.num_inputs, prob.num_outputs)(nnx.Rngs(0))
    assert lstm1997.num_weights(net) == weights == c.paper.weights


def test_success_rules_by_hand():
    # One sequence, two steps, three outputs (already squashed: linear).
    out = jnp.array([[[0.9, 0.8, 0.1], [0.2, 0.7, 0.75]]])
    batch = {"y": jnp.array([[0, 2]]), "mask": jnp.ones((1, 2)),
             "check": jnp.array([[True, True]]),
             "allowed": jnp.array([[[True, True, False], [False, True, True]]])}
    run = lambda rule, tol=0.3: objective.per_sequence(  # noqa: E731
        out, batch, activation="linear", loss="mse", rule=rule, tol=tol)
    loss, err, ok = run("possible_next")
    # Step 1: legal {0,1} (0.9, 0.8) above 0.1; step 2: legal {1,2} above 0.2.
    assert bool(ok[0])
    sq = (0.1 ** 2 + 0.8 ** 2 + 0.1 ** 2) + (0.2 ** 2 + 0.7 ** 2 + 0.25 ** 2)
    np.testing.assert_allclose(loss[0], 0.5 * sq, rtol=1e-6)
    np.testing.assert_allclose(err[0], sq / (2 * 3), rtol=1e-6)
    assert not bool(run("abs_error", 0.3)[2][0])  # output 1 at step 1 is off by 0.8
    assert bool(run("abs_error", 0.81)[2][0])
    assert bool(run("argmax")[2][0])  # argmax 0 then 2
    # An unjudged step does not count.
    batch["check"] = jnp.array([[False, True]])
    batch["allowed"] = jnp.array([[[False, False, True], [False, True, True]]])
    assert bool(run("possible_next")[2][0])


def _window_config(tol: float, batch_size: int = 1):
    c = load_config("adding", "smoke")
    c.criterion.tol = tol
    c.criterion.max_mse = 1e9
    c.criterion.window = 30
    c.train.batch_size = batch_size
    c.train.chunk = 20
    c.train.max_sequences = 120
    return c


@pytest.mark.parametrize("batch_size", [1, 3])
def test_recent_window_rule_counts_sequences_exactly(batch_size):
    # Everything correct: success exactly when the window first fills.
    r = trainer.run_trials(_window_config(1e9, batch_size), "lstm1997", [0, 1], log=None)
    assert [(t.success, t.sequences) for t in r.trials] == [(True, 30)] * 2
    # Nothing correct: both trials fail at the cap.
    r = trainer.run_trials(_window_config(0.0, batch_size), "lstm1997", [0, 1], log=None)
    assert [(t.success, t.sequences) for t in r.trials] == [(False, 120)] * 2


@pytest.mark.parametrize("name", CONFIGS)
def test_configs_load_with_their_variants(name):
    for arg in (None, "smoke"):
        c = load_config(name, arg)
        assert c.trainer == "seqgen.tasks.trainer" and c.task.name == name
        trainer.check_config(c)
        prob = problem.build(c)
        for model in c.report_models:
            nets.factory(c, model, prob.num_inputs, prob.num_outputs)
    assert load_config("adding", "T=500").task.T == 500
    with pytest.raises(ConfigError, match="unknown variant 'bogus=1'"):
        load_config(name, "bogus=1")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(REPO, "seqgen", "configs", "tasks", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert f"--config=configs/tasks/{name}.py" in module.__doc__  # the launch command
    points = []
    module.sweep(lambda **kw: points.append(kw))
    for point in points:  # every ablation names real fields
        c = module.get_config(None)
        for dotted in point:
            *parents, leaf = dotted.split(".")
            node = c
            for part in parents:
                node = node[part]
            assert leaf in node, dotted


def test_main_solves_task_2a_at_p_100(tmp_path):
    """The paper's 2a (lag 100) from the command line, in seconds."""
    proc = subprocess.run(
        [sys.executable, "-m", "seqgen.tasks.main", "--config=configs/tasks/long_lag.py",
         f"--workdir={tmp_path}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "trial 0: success after" in proc.stdout
    result = json.loads((tmp_path / "result.json").read_text())
    trial = result["trials"][0]
    assert trial["success"] and trial["sequences"] <= 10_000
    assert trial["test_wrong"] == 0 and result["weights"] == 10708


def test_papers_per_step_rule_with_an_end_target_is_one_truncated_step():
    """With a target only at the last step, updating at every step changes
    nothing before the end, so the paper's rule equals one SGD step with
    the truncated gradient; and it produces the net's own outputs."""
    from seqgen.tasks import online

    net = small_net(truncate=True)
    x, target = sequence()
    graphdef, params = nnx.split(net)
    mask = np.zeros(len(x), np.float32)
    mask[-1] = 1.0
    seq = {"x": jnp.asarray(x, jnp.float32), "y": jnp.asarray(target, jnp.float32),
           "mask": jnp.asarray(mask), "check": jnp.asarray(mask > 0)}
    obj = dict(activation="sigmoid", loss="mse", rule="abs_error", tol=0.1)
    lr = 0.7
    new, z_TxK = online.sequence_update(net.opts, params, seq, lr, obj)
    np.testing.assert_allclose(np.asarray(z_TxK), np.asarray(net(seq["x"][None])[0]),
                               rtol=1e-5, atol=1e-6)

    def loss(ps):
        z = nnx.merge(graphdef, ps)(seq["x"][None])
        return objective.per_sequence(z, jax.tree.map(lambda a: a[None], seq), **obj)[0][0]

    g = jax.grad(loss)(params)
    want = jax.tree.map(lambda p, d: p - lr * d, params, g)
    for a, b in zip(jax.tree.leaves(new), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_a_bad_variant_is_one_line_naming_the_fix(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "seqgen.main", "--config=configs/tasks/adding.py:T=5x",
         f"--workdir={tmp_path}"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "FATAL variant 'T=5x' of configs/tasks/adding.py: T takes an int; use T=<int>")
