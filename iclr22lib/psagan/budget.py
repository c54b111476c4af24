"""Planning estimate of the chapter's FULL preset on one H100 (``iclr22 budget ch05``).

Every kind of step the FULL run performs is *counted* by replaying the control flow of the training
code (:func:`gan_step_counts` uses the trainer's own :class:`~iclr22lib.psagan.train.Schedule` and
alternation rule; the rest follows ``run_experiment``, ``downstream`` and ``downstream_tasks``) and
*costed* by :func:`iclr22lib.core.budget.measure_step` on the CPU at a small batch ``b``, FLOPs scaled
to the real batch ``B`` (kernel counts do not depend on the batch). Three additions keep it honest:

- **Recurrent layers** (TimeGAN's GRUs, DeepAR's LSTM) run on a GPU as one cuDNN call that still
  launches kernels per layer and time step (the standard algorithm: a recurrent GEMM and a fused gate
  kernel per step, from C++, without Python or dispatcher overhead), whereas the CPU decomposes them
  differently (GRU: ~15 ops per cell; LSTM: one fused op, no FLOPs counted). While measuring,
  :func:`measure` replaces them by a shape-exact stand-in and charges one planning-model op (20 us,
  i.e. 10 us per tiny kernel, several times their usual GPU time) per layer and time step, forward
  and backward alike, plus one op per layer forward (the input GEMM) and two backward (weight and
  input gradients): ``layers * (1 + T)`` and ``layers * (2 + T)``; FLOPs ``2 B T G H (in + H)`` per
  layer (G = 3 gates for a GRU, 4 for an LSTM), backward twice that.
- **Host work on the critical path** (NumPy window sampling, SciPy's ``sqrtm`` in the Fréchet distance,
  GluonTS' data pipeline) is timed here in CPU seconds and charged as kernel-equivalents of the
  planning model (seconds / 20 us); PyTorch Lightning's loop costs a stated :data:`LIGHTNING_STEP_S`
  per DeepAR step; each GAN iteration pays :data:`H2D_COPIES` host-to-device copies.
- **Optimisers** take the path PyTorch defaults to on a CUDA device (Adam and AdamW with
  ``foreach=None`` use the multi-tensor implementation there, one kernel per foreach op); the CPU's
  default per-parameter loop would count ~10 kernels per parameter tensor that the GPU never launches.
- Costs are those of steady-state steps, except where the real code is conservative to assume the
  worst: TimeGAN's discriminator step is always taken (the code skips it while its loss is < 0.15),
  and TS2Vec's random crops are costed at the full window.

The result is a planning figure under :data:`~iclr22lib.core.budget.H100_EAGER`, not a measurement.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.utils._python_dispatch import _disable_current_modes

from iclr22lib.core.budget import H100_EAGER, GPUModel, StepCost, WorkItem, measure_step
from iclr22lib.core.timing import seconds_per_call
from iclr22lib.core.training import optimizer_step
from iclr22lib.psagan.config import FULL, PsaganConfig, n_stages
from iclr22lib.psagan.data import HORIZON, PERIODS, Panel, sample_windows
from iclr22lib.psagan.embed import TS2VecEncoder, fid_from_samples, hierarchical_contrastive
from iclr22lib.psagan.experiment import TASK_MODELS, variants
from iclr22lib.psagan.timegan import TimeGAN, fit_timegan
from iclr22lib.psagan.train import Schedule, Variant, build, gan_iteration, is_generator_step

#: Batch at which GPU steps are measured on the CPU (FLOPs are scaled to the real batch).
MEASURE_BATCH = 4
#: Host-to-device copies per GAN iteration on a GPU (``to_tensors``: y, series, time features, context).
H2D_COPIES = 4
#: Stated host cost of PyTorch Lightning's loop per DeepAR training step (hooks, logging, the
#: ``train_loss`` sync); generous against the ~0.1-1 ms usually quoted for Lightning's overhead.
LIGHTNING_STEP_S = 2e-3
#: Safety factor on host CPU seconds measured here (single-threaded) for the GPU machine's host.
HOST_SAFETY = 2.0
#: Shapes of the data sets (series, longest series, shortest series) as the loaders return them.
SHAPES = {"m4_hourly": (414, 960, 700), "exchange_rate": (8, 7588, 7588)}
#: DeepAR settings of :func:`iclr22lib.psagan.forecast.deepar_forecast` (batch, context, samples).
DEEPAR_BATCH, DEEPAR_CONTEXT, DEEPAR_SAMPLES = 32, 96, 100

# ----------------------------------------------------------------------------- measuring


_extra = [0.0, 0]  # FLOPs and kernels charged by the recurrent-layer model during a measurement


def _rnn_cost(rnn: nn.RNNBase, x: torch.Tensor) -> tuple[float, int]:
    """Modelled cuDNN forward cost (FLOPs, kernels) of ``rnn`` on input ``x``."""
    batch_dim, time_dim = (0, 1) if rnn.batch_first else (1, 0)
    b, t = x.shape[batch_dim], x.shape[time_dim]
    gates = 4 if isinstance(rnn, nn.LSTM) else 3
    h, flops = rnn.hidden_size, 0.0
    for layer in range(rnn.num_layers):
        d_in = rnn.input_size if layer == 0 else h
        flops += 2.0 * b * t * gates * h * (d_in + h)
    return flops, rnn.num_layers * (1 + t)


class _Quiet(torch.autograd.Function):
    """A shape-exact stand-in for a recurrent layer: outputs of the right shapes (random values in
    [0, 0.5)) made outside the counting modes; its backward returns zero gradients of the right shapes.
    The layer's own cost is charged by the cuDNN model, so computing it on the CPU would add nothing."""

    @staticmethod
    def forward(ctx, shapes, bwd, *tensors):
        ctx.bwd = bwd
        ctx.save_shapes = [(t.shape, t.requires_grad) for t in tensors]
        with _disable_current_modes():
            return tuple(torch.rand(s) * 0.5 for s in shapes)

    @staticmethod
    def backward(ctx, *grads):
        _extra[0] += ctx.bwd[0]
        _extra[1] += ctx.bwd[1]
        with _disable_current_modes():
            out = [torch.zeros(s) if rg else None for s, rg in ctx.save_shapes]
        return (None, None, *out)


class _CudnnStandIn(nn.Module):
    """Takes the place of a recurrent layer ``rnn`` (nn.GRU / nn.LSTM) while measuring: returns
    :class:`_Quiet`'s outputs of the layer's shapes and charges the cuDNN model to ``_extra``
    (forward when called, backward when its gradient is computed)."""

    def __init__(self, rnn: nn.RNNBase) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(
        self, input: torch.Tensor, hx: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        rnn = self.rnn
        lstm = isinstance(rnn, nn.LSTM)
        hs = [] if hx is None else (list(hx) if lstm else [hx])
        flops, kernels = _rnn_cost(rnn, input)
        _extra[0] += flops
        _extra[1] += kernels
        bd, td = (0, 1) if rnn.batch_first else (1, 0)
        b, t = input.shape[bd], input.shape[td]
        out_shape = (b, t, rnn.hidden_size) if rnn.batch_first else (t, b, rnn.hidden_size)
        state = (rnn.num_layers, b, rnn.hidden_size)
        shapes = [out_shape, state, state] if lstm else [out_shape, state]
        bwd = (2.0 * flops, rnn.num_layers * (2 + t))
        outs = _Quiet.apply(shapes, bwd, input, *hs, *rnn._flat_weights)
        return (outs[0], (outs[1], outs[2])) if lstm else (outs[0], outs[1])


def _refuse_bare_rnn(module: nn.Module, args: tuple) -> None:
    if isinstance(module, nn.RNNBase):
        raise RuntimeError(
            f"a {type(module).__name__} ran while measuring without the cuDNN model: pass the model that "
            "holds it to measure(step, *models)"
        )


@contextmanager
def _cudnn_rnn_model(*models: nn.Module) -> Iterator[None]:
    """Within the context, every nn.GRU / nn.LSTM inside ``models`` is replaced by a
    :class:`_CudnnStandIn` (and put back after); any other recurrent layer that runs is an error."""
    swapped = []
    for model in models:
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.RNNBase):
                    setattr(parent, name, _CudnnStandIn(child))
                    swapped.append((parent, name, child))
    guard = register_module_forward_pre_hook(_refuse_bare_rnn)
    try:
        yield
    finally:
        guard.remove()
        for parent, name, child in reversed(swapped):
            setattr(parent, name, child)


@contextmanager
def single_thread() -> Iterator[None]:
    """One torch and one BLAS thread while measuring (many threads on a shared 2-core machine make
    both the counting and the host timings slow and noisy)."""
    from threadpoolctl import threadpool_limits

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(n)


@contextmanager
def _cuda_optimizer_defaults() -> Iterator[None]:
    """Adam / AdamW (foreach=None) take the multi-tensor path they default to on a CUDA device,
    instead of the CPU's per-parameter loop."""
    import torch.optim.adam as adam

    original = adam._default_to_fused_or_foreach
    adam._default_to_fused_or_foreach = lambda *args, **kwargs: (False, True)
    try:
        yield
    finally:
        adam._default_to_fused_or_foreach = original


def measure(step: Callable[[], object], *models: nn.Module) -> StepCost:
    """:func:`~iclr22lib.core.budget.measure_step` with the recurrent layers of ``models`` costed by
    the cuDNN model and optimisers on their CUDA default (foreach) path."""
    _extra[0], _extra[1] = 0.0, 0
    with _cudnn_rnn_model(*models), _cuda_optimizer_defaults():
        cost = measure_step(step)
    return StepCost(cost.flops + _extra[0], cost.ops + _extra[1])


def scaled(cost: StepCost, batch: int, measured: int = MEASURE_BATCH) -> StepCost:
    """``cost`` measured at batch ``measured`` scaled to ``batch`` (FLOPs linear, kernels unchanged)."""
    return StepCost(cost.flops * batch / measured, cost.ops)


def host(seconds: float, gpu: GPUModel = H100_EAGER) -> StepCost:
    """Host seconds on the critical path (times :data:`HOST_SAFETY`) as kernel-equivalents of the
    planning model."""
    return StepCost(0.0, math.ceil(HOST_SAFETY * seconds / (gpu.op_us * 1e-6)))


def fake_panel(dataset: str, *, seed: int = 0, holdout_frac: float = 0.2) -> Panel:
    """A random panel with the shapes of ``dataset`` (no data needed), for costing only."""
    n, t_max, t_min = SHAPES[dataset]
    rng = np.random.default_rng(seed)
    lengths = np.where(np.arange(n) % 2 == 0, t_max, t_min)
    split = np.floor(lengths * (1.0 - holdout_frac)).astype(np.int64)
    values = rng.random((n, t_max)).astype(np.float32)
    values[np.arange(t_max) >= lengths[:, None]] = np.nan
    test = rng.random((n, HORIZON)).astype(np.float32) if dataset == "m4_hourly" else None
    return Panel(dataset, values, lengths, split, np.zeros(n), np.ones(n), PERIODS[dataset], test)


def _batch(panel: Panel, b: int, window: int, context: int) -> dict[str, torch.Tensor]:
    w = sample_windows(panel, b, window, np.random.default_rng(0), context=context)
    return {
        "y": torch.as_tensor(w.y)[:, None, :],
        "series": torch.as_tensor(w.series),
        "tf": torch.as_tensor(w.time_features),
        "ctx": torch.as_tensor(w.context),
    }


# ----------------------------------------------------------------------------- PSA-GAN steps


def gan_step_counts(cfg: PsaganConfig, v: Variant) -> Counter:
    """Iterations of ``train_gan(cfg, panel, v)`` by ``(kind, depth, fading, warm-up)``: kind "G" or
    "D", fading = alpha < 1, warm-up = before ``warmup_g_steps`` generator steps; the same schedule
    and alternation rule as the trainer."""
    sched = Schedule(n_stages(v.window), cfg.epochs_per_stage, cfg.fade_epochs if v.fade else 0)
    out: Counter = Counter()
    g_steps = 0
    for itr in range(sched.epochs * cfg.batches_per_epoch):
        depth, alpha = sched.at(itr / cfg.batches_per_epoch)
        warm = g_steps < cfg.warmup_g_steps
        g = is_generator_step(itr, g_steps, cfg)
        g_steps += g
        out[("G" if g else "D", depth, alpha < 1.0, warm)] += 1
    return out


def cost_variant(v: Variant, window: int) -> Variant:
    """The variant whose measured costs stand for ``v``: the same architecture (context, attention) at
    ``window``. Fade-in and moment loss do not change a step's cost (the moment loss is computed even
    with weight 0, and a run without fade-in just has no fading iterations)."""
    return Variant("cost", window, v.context_length, attention=v.attention)


@cache
def gan_costs(cfg: PsaganConfig, v: Variant) -> dict[tuple[int, bool, bool], StepCost]:
    """Cost of one steady-state iteration of ``train_gan`` per ``(depth, fading, generator step)``
    for variant ``v`` (Adam's state is initialised by a G and a D step at each depth and fading
    first), FLOPs at ``cfg.batch_size``, plus the iteration's host-to-device copies.

    Measured on ``v.window``'s models; a shorter window's model at the same depth runs the same
    layers at the same resolution with fewer pooling ops, so the longest window's costs bound it."""
    panel = fake_panel(cfg.dataset)
    torch.manual_seed(0)
    g, d = build(cfg, panel, v)
    opt_g, opt_d = (torch.optim.Adam(m.parameters(), lr=cfg.lr) for m in (g, d))
    b = _batch(panel, MEASURE_BATCH, v.window, v.context_length)
    out = {}
    for depth in range(n_stages(v.window)):
        for fading in (False, True) if depth else (False,):
            alpha = 0.5 if fading else 1.0
            for gs in (True, False):
                gan_iteration(g, d, opt_g, opt_d, b, depth, alpha, gs, 1.0)
            for gs in (True, False):
                c = measure(
                    lambda gs=gs, dp=depth, a=alpha: gan_iteration(g, d, opt_g, opt_d, b, dp, a, gs, 1.0)
                )
                out[(depth, fading, gs)] = StepCost(
                    c.flops * cfg.batch_size / MEASURE_BATCH, c.ops + H2D_COPIES
                )
    return out


@dataclass
class _Acc:
    """Sum of FLOPs and kernels over ``count`` steps, folded into one :class:`WorkItem`."""

    count: float = 0.0
    flops: float = 0.0
    ops: float = 0.0

    def add(self, count: float, cost: StepCost) -> None:
        self.count += count
        self.flops += count * cost.flops
        self.ops += count * cost.ops

    def merge(self, other: _Acc) -> None:
        self.count, self.flops, self.ops = (
            self.count + other.count,
            self.flops + other.flops,
            self.ops + other.ops,
        )

    def item(self, name: str) -> WorkItem:
        n = max(self.count, 1.0)
        return WorkItem(name, self.count, StepCost(self.flops / n, math.ceil(self.ops / n)))


# ----------------------------------------------------------------------------- other step kinds


@cache
def ebgan_costs(cfg: PsaganConfig, dataset: str, window: int) -> StepCost:
    """Cost of one D + one G iteration of ``train_ebgan`` (measured on the real function as the
    difference of 4 and 2 iterations, so model set-up and Adam's first steps cancel)."""
    from iclr22lib.psagan.baselines import train_ebgan

    panel = fake_panel(dataset)
    small = replace(cfg, batch_size=MEASURE_BATCH, device="cpu")
    a = measure(lambda: train_ebgan(small, panel, window, max_iters=2))
    b = measure(lambda: train_ebgan(small, panel, window, max_iters=4))
    return StepCost((b.flops - a.flops) * cfg.batch_size / MEASURE_BATCH, b.ops - a.ops + 2 * H2D_COPIES)


@cache
def timegan_costs(cfg: PsaganConfig, dataset: str, window: int) -> tuple[StepCost, StepCost, StepCost]:
    """(autoencoder, supervisor, joint iteration) costs of ``fit_timegan`` on the real function,
    each the difference of 2 and 1 iterations of its phase; joint: the discriminator step is taken."""
    panel = fake_panel(dataset)
    torch.manual_seed(0)
    model = TimeGAN(
        window, panel.n_series, panel.n_time_features, hidden=cfg.timegan_hidden,
        layers=cfg.timegan_layers, emb_dim=cfg.emb_dim,
    )  # fmt: skip
    b = _batch(panel, MEASURE_BATCH, window, 0)
    out = []
    for phase, copies in ((0, H2D_COPIES), (1, H2D_COPIES), (2, 3 * H2D_COPIES)):

        def run(n: int, phase: int = phase) -> None:
            iters = [0, 0, 0]
            iters[phase] = n
            fit_timegan(model, lambda: b, iters=tuple(iters), lr=cfg.lr)

        one, two = measure(lambda run=run: run(1), model), measure(lambda run=run: run(2), model)
        cost = StepCost(two.flops - one.flops, two.ops - one.ops + copies)
        out.append(scaled(cost, cfg.batch_size))
    return out[0], out[1], out[2]


@cache
def ts2vec_step_cost(cfg: PsaganConfig, window: int) -> StepCost:
    """One ``train_ts2vec`` step (batch 16) with both views at the full window (its longest crop);
    measured at batch ``MEASURE_BATCH`` (FLOPs scaled; the loss's B^2 similarity terms are < 1 %)."""
    torch.manual_seed(0)
    enc = TS2VecEncoder(cfg.emb_hidden, cfg.emb_out, cfg.emb_depth)
    opt = torch.optim.AdamW(enc.parameters(), lr=1e-3)
    x = torch.rand(MEASURE_BATCH, window)

    def step() -> None:
        m1, m2 = torch.rand(x.shape) > 0.5, torch.rand(x.shape) > 0.5
        optimizer_step(opt, hierarchical_contrastive(enc(x, m1), enc(x, m2)), what="TS2Vec loss")

    step()
    return scaled(measure(step), 16)


@cache
def embed_cost(cfg: PsaganConfig, window: int, n: int) -> StepCost:
    """One TS2Vec embedding pass of ``n`` windows (one ``embed`` chunk, n <= 1024)."""
    enc = TS2VecEncoder(cfg.emb_hidden, cfg.emb_out, cfg.emb_depth).eval()
    x = torch.rand(MEASURE_BATCH, window)
    return scaled(measure(lambda: enc.embed(x).double().numpy()), n)


@cache
def generate_cost(cfg: PsaganConfig, dataset: str, v: Variant, n: int) -> StepCost:
    """One ``generate`` chunk of ``n`` windows (n <= 1024) of variant ``v``'s generator (full depth)."""
    from iclr22lib.psagan.train import generate

    panel = fake_panel(dataset)
    if v.name == "TimeGAN":
        g: nn.Module = TimeGAN(
            v.window, panel.n_series, panel.n_time_features, hidden=cfg.timegan_hidden,
            layers=cfg.timegan_layers, emb_dim=cfg.emb_dim,
        ).eval()  # fmt: skip
    else:
        g = build(cfg, panel, v)[0].eval()
    w = sample_windows(panel, MEASURE_BATCH, v.window, np.random.default_rng(0), context=v.context_length)
    return scaled(measure(lambda: generate(g, w), g), n)


@cache
def host_costs(cfg: PsaganConfig, dataset: str, window: int, context: int) -> tuple[float, float]:
    """CPU seconds of (one training batch of ``sample_windows``, one Fréchet distance of
    ``fid_windows`` x ``emb_out`` embeddings in float64)."""
    panel = fake_panel(dataset, holdout_frac=cfg.holdout_frac)
    rng = np.random.default_rng(0)
    sample = seconds_per_call(lambda: sample_windows(panel, cfg.batch_size, window, rng, context=context), 5)
    a, b = rng.standard_normal((2, cfg.fid_windows, cfg.emb_out))
    fid = seconds_per_call(lambda: fid_from_samples(a, b + 0.1), 2)
    return sample, fid


# ----------------------------------------------------------------------------- DeepAR


@cache
def deepar_costs(cfg: PsaganConfig, prediction_length: int) -> tuple[StepCost, StepCost, float]:
    """(training step at batch 32, prediction of one batch of 32 series x 100 sample paths, host CPU
    seconds per training batch of GluonTS' data pipeline) for DeepAR as ``deepar_forecast`` builds it."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from gluonts.dataset.common import ListDataset
        from gluonts.itertools import select
        from gluonts.torch.model.deepar import DeepAREstimator

        from iclr22lib.psagan.forecast import START

        panel = fake_panel("m4_hourly")
        est = DeepAREstimator(
            freq="h", prediction_length=prediction_length, context_length=DEEPAR_CONTEXT, hidden_size=40,
            num_layers=2, batch_size=DEEPAR_BATCH, num_batches_per_epoch=cfg.deepar_batches,
        )  # fmt: skip
        data = ListDataset(
            [{"start": START, "target": panel.values[i, : panel.lengths[i]]} for i in range(panel.n_series)],
            freq="h",
        )
        torch.manual_seed(0)
        np.random.seed(0)  # noqa: NPY002 - GluonTS' samplers use NumPy's global state
        module = est.create_lightning_module()
        loader = iter(
            est.create_training_data_loader(est.create_transformation().apply(data, is_train=True), module)
        )
        batch = next(loader)
        loader_s = seconds_per_call(lambda: next(loader), 5)
    model = module.model
    opt = torch.optim.Adam(model.parameters(), lr=module.lr, weight_decay=module.weight_decay)
    small = {k: v[:MEASURE_BATCH] for k, v in batch.items() if isinstance(v, torch.Tensor)}

    def train_step() -> None:
        loss = model.loss(
            **select(module.inputs, small),
            future_observed_values=small["future_observed_values"],
            future_target=small["future_target"],
        ).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()

    model.train()
    train_step()
    step = scaled(measure(train_step, model), DEEPAR_BATCH)
    model.eval()
    names = ("feat_static_cat", "feat_static_real", "past_time_feat", "past_target", "past_observed_values")
    pred_in = {k: small[k] for k in names} | {"future_time_feat": small["future_time_feat"]}

    def predict() -> None:
        with torch.no_grad():
            model(**pred_in, num_parallel_samples=DEEPAR_SAMPLES).mean(dim=1).numpy()

    return step, scaled(measure(predict, model), DEEPAR_BATCH), loader_s


# ----------------------------------------------------------------------------- the workload


def _protocol(cfg: PsaganConfig, dataset: str, acc: dict[str, _Acc]) -> None:
    """Add ``run_experiment(cfg, panel of dataset)`` (without DeepAR) to the accumulators ``acc``."""
    ds = replace(cfg, dataset=dataset)
    for tau in ds.windows:
        vs = variants(ds, tau)
        L = max(v.context_length for v in vs)
        acc["embedder"].add(ds.emb_steps, ts2vec_step_cost(cfg, max(ds.windows)))  # bounds shorter ones
        emb = embed_cost(cfg, tau, ds.fid_windows)
        sample_s, fid_s = host_costs(ds, dataset, tau, L)
        sample = host(sample_s)

        def fid(v: Variant | None, n_fids: int, emb: StepCost = emb, fid_s: float = fid_s) -> None:
            """``n_fids`` Context-FIDs of generator ``v`` (None: held-out real, nothing generated)."""
            if v is not None:
                acc["fid_gpu"].add(n_fids, generate_cost(cfg, cfg.dataset, v, ds.fid_windows))
            acc["fid_gpu"].add(2 * n_fids, emb)
            acc["fid_host"].add(n_fids, host(fid_s))

        fid(None, ds.fid_runs)
        for _seed in range(ds.n_seeds):
            for v in vs:
                group = "ablations" if v.name.startswith("w/o") else v.name
                costs = gan_costs(cfg, cost_variant(v, max(ds.windows)))
                for (kind, depth, fading, warm), n in gan_step_counts(ds, v).items():
                    stage = "warm-up" if warm else ("fade-in" if fading else "steady")
                    acc[f"{group}|{stage}"].add(n, costs[(depth, fading, kind == "G")])
                    acc["sampling"].add(n, sample)
                fid(v, ds.fid_runs)
            if ds.baselines:
                iters = n_stages(tau) * ds.epochs_per_stage * ds.batches_per_epoch
                acc["EBGAN"].add(iters / 2, ebgan_costs(cfg, cfg.dataset, tau))
                acc["sampling"].add(iters, sample)
                ae, sup, joint = timegan_costs(cfg, cfg.dataset, tau)
                acc["TimeGAN pre"].add(ds.timegan_pre_iters, ae)
                acc["TimeGAN pre"].add(ds.timegan_pre_iters, sup)
                acc["TimeGAN joint"].add(ds.timegan_iters, joint)
                acc["sampling"].add(2 * ds.timegan_pre_iters + 3 * ds.timegan_iters, sample)
                fid(Variant("EBGAN", tau, attention=False), ds.fid_runs)
                fid(Variant("TimeGAN", tau, attention=False), ds.fid_runs)
            fid(vs[0], ds.fid_runs)  # the untrained generator


def deepar_fits(cfg: PsaganConfig) -> list[tuple[int, int]]:
    """``(prediction_length, generate calls before it)`` of every DeepAR fit of the FULL run's
    ``downstream`` and ``downstream_tasks``, in order (the far-forecasting baseline forecasts G + 48)."""
    if not cfg.downstream:
        return []
    fits = []
    for _seed in range(cfg.n_seeds):
        fits.append((HORIZON, 0))  # real only
        for _tau in cfg.windows:
            fits += [(HORIZON, 1), (HORIZON, 1)]  # real + PSA-GAN, real + untrained generator
            if cfg.context_length:
                fits.append((HORIZON, 1))  # real + PSA-GAN-C
    if cfg.tasks:
        trained = ["PSA-GAN"] + (["PSA-GAN-C"] if cfg.context_length else [])
        trained += ["EBGAN", "TimeGAN"] if cfg.baselines else []
        chosen = [n for n in trained if n in cfg.task_models and n in TASK_MODELS] or ["PSA-GAN"]
        gap = far_gap_of(cfg)
        for _seed in range(cfg.n_seeds):
            fits += [(HORIZON, 0)] * (2 + len(chosen))  # missing left as NaN, interpolation, generators
            fits.append((gap + HORIZON, 0))  # DeepAR across the gap
            fits += [(HORIZON, 1)] * len(chosen)
    return fits


def far_gap_of(cfg: PsaganConfig) -> int:
    """The far-forecasting gap on M4 hourly: its shortest held-out region."""
    t_min = SHAPES["m4_hourly"][2]
    return t_min - math.floor(t_min * (1.0 - cfg.holdout_frac))


ROWS = (
    ("PSA-GAN|warm-up", "PSA-GAN: D warm-up (G every warmup_n_critic+1)"),
    ("PSA-GAN|fade-in", "PSA-GAN: fade-in iterations (G and D)"),
    ("PSA-GAN|steady", "PSA-GAN: n_critic D + 1 G per batch"),
    ("PSA-GAN-C|warm-up", "PSA-GAN-C: D warm-up"),
    ("PSA-GAN-C|fade-in", "PSA-GAN-C: fade-in iterations"),
    ("PSA-GAN-C|steady", "PSA-GAN-C: n_critic D + 1 G per batch"),
    ("ablations|warm-up", "ablations (3, longest tau): D warm-up"),
    ("ablations|fade-in", "ablations: fade-in iterations"),
    ("ablations|steady", "ablations: n_critic D + 1 G per batch"),
    ("EBGAN", "EBGAN: D + G iterations"),
    ("TimeGAN pre", "TimeGAN: autoencoder + supervisor steps"),
    ("TimeGAN joint", "TimeGAN: joint iterations (2 G, 2 E, 1 D)"),
    ("sampling", "host: window sampling per training batch"),
    ("embedder", "TS2Vec embedder training steps"),
    ("fid_gpu", "Context-FID: generate + embed passes"),
    ("fid_host", "host: Frechet distances (scipy sqrtm)"),
)


def full_workload(cfg: PsaganConfig = FULL) -> list[WorkItem]:
    """The FULL run of the chapter (``run_experiment`` on m4_hourly with DeepAR downstream and tasks,
    then the Context-FID protocol on each of ``also_datasets``) as <= 25 grouped work items."""
    with single_thread():
        return _workload(cfg)


def _workload(cfg: PsaganConfig) -> list[WorkItem]:
    acc: dict[str, _Acc] = {key: _Acc() for key, _ in ROWS}
    _protocol(cfg, cfg.dataset, acc)
    items = [acc[key].item(f"{cfg.dataset} {name}") for key, name in ROWS if acc[key].count]
    fits = deepar_fits(cfg)
    if fits:
        train, pred, loader, gen = _Acc(), _Acc(), _Acc(), _Acc()
        n_series, steps = SHAPES[cfg.dataset][0], cfg.deepar_epochs * cfg.deepar_batches
        for pl, n_gen in fits:
            step, predict, loader_s = deepar_costs(cfg, pl)
            train.add(steps, step)
            loader.add(steps, host(loader_s + LIGHTNING_STEP_S))
            pred.add(math.ceil(n_series / DEEPAR_BATCH), predict)
            if n_gen:  # synthetic / filled series: at most 4 windows per series, in chunks of 1024
                v = Variant("PSA-GAN-C", max(cfg.windows), cfg.context_length or 0)
                gen.add(
                    math.ceil(4 * n_series * cfg.n_synthetic / 1024), generate_cost(cfg, cfg.dataset, v, 1024)
                )
        items += [
            train.item(f"DeepAR training steps ({len(fits)} fits)"),
            loader.item("host: GluonTS batches + Lightning loop"),
            pred.item("DeepAR prediction (100 paths, 32 series/batch)"),
            gen.item("synthetic / filled series for DeepAR"),
        ]
    for name in cfg.also_datasets:
        extra = {key: _Acc() for key, _ in ROWS}
        _protocol(cfg, name, extra)
        gans, rest = _Acc(), _Acc()
        for key, a in extra.items():
            (gans if "|" in key or key.startswith(("EBGAN", "TimeGAN")) else rest).merge(a)
        items += [
            gans.item(f"{name}: all GAN / baseline training"),
            rest.item(f"{name}: embedder, Context-FID, sampling"),
        ]
    return items
