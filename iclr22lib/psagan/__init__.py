"""PSA-GAN (Jeha et al., ICLR 2022): progressive self-attention GANs for synthetic time series.

Public API: :func:`config` (SMOKE/FULL presets); data (:func:`load_panel`, :class:`Panel`,
:func:`sample_windows`, :class:`Windows`, :func:`time_features`); models (:class:`SelfAttention`,
:class:`MainBlock`, :class:`Generator`, :class:`Discriminator`); losses (:func:`lsgan_d_loss`,
:func:`lsgan_g_loss`, :func:`moment_loss`); training (:class:`Schedule`, :class:`Variant`,
:func:`train_gan`, :func:`untrained`, :func:`generate`); Context-FID (:func:`frechet_distance`,
:func:`frechet_distance_torch`, :func:`fid_from_samples`, :func:`train_embedder`, :func:`embed`,
:func:`context_fid`, :class:`TS2VecEncoder`, :class:`CausalCNNEncoder`); the EBGAN baseline
(:func:`train_ebgan`, :class:`AutoencoderDiscriminator`, :func:`ebgan_losses`); downstream DeepAR
(:func:`deepar_nrmse`, :func:`synthetic_series`, :func:`nrmse`; GluonTS is imported lazily); and the
experiment (:func:`variants`, :func:`run_experiment`, :func:`summarise`).
"""

from iclr22lib.psagan.baselines import AutoencoderDiscriminator, ebgan_losses, train_ebgan
from iclr22lib.psagan.config import ABLATIONS, DATASETS, FULL, SMOKE, PsaganConfig, config, n_stages
from iclr22lib.psagan.data import HORIZON, Panel, Windows, eligible, load_panel, sample_windows, time_features
from iclr22lib.psagan.embed import (
    CausalCNNEncoder,
    TS2VecEncoder,
    context_fid,
    embed,
    hierarchical_contrastive,
    instance_contrastive,
    temporal_contrastive,
    train_causalcnn,
    train_embedder,
    train_ts2vec,
    triplet_loss,
)
from iclr22lib.psagan.experiment import Experiment, downstream, run_experiment, summarise, variants
from iclr22lib.psagan.fid import fid_from_samples, frechet_distance, frechet_distance_torch, moments
from iclr22lib.psagan.forecast import deepar_nrmse, nrmse, synthetic_series
from iclr22lib.psagan.losses import lsgan_d_loss, lsgan_g_loss, moment_loss
from iclr22lib.psagan.models import Conditioning, Discriminator, Generator, MainBlock, SelfAttention, pool_to
from iclr22lib.psagan.train import (
    GanResult,
    Schedule,
    Variant,
    build,
    generate,
    is_generator_step,
    to_tensors,
    train_gan,
    untrained,
)

__all__ = [
    "ABLATIONS",
    "DATASETS",
    "FULL",
    "HORIZON",
    "SMOKE",
    "AutoencoderDiscriminator",
    "CausalCNNEncoder",
    "Conditioning",
    "Discriminator",
    "Experiment",
    "GanResult",
    "Generator",
    "MainBlock",
    "Panel",
    "PsaganConfig",
    "Schedule",
    "SelfAttention",
    "TS2VecEncoder",
    "Variant",
    "Windows",
    "build",
    "config",
    "context_fid",
    "deepar_nrmse",
    "downstream",
    "ebgan_losses",
    "eligible",
    "embed",
    "fid_from_samples",
    "frechet_distance",
    "frechet_distance_torch",
    "generate",
    "hierarchical_contrastive",
    "instance_contrastive",
    "is_generator_step",
    "load_panel",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "moment_loss",
    "moments",
    "n_stages",
    "nrmse",
    "pool_to",
    "run_experiment",
    "sample_windows",
    "summarise",
    "synthetic_series",
    "temporal_contrastive",
    "time_features",
    "to_tensors",
    "train_causalcnn",
    "train_ebgan",
    "train_embedder",
    "train_gan",
    "train_ts2vec",
    "triplet_loss",
    "untrained",
    "variants",
]
