"""Trans-Encoder (Liu et al., ICLR 2022): unsupervised sentence-pair modelling by self- and mutual
distillation between a bi-encoder and a cross-encoder.

Public API: :func:`config` (SMOKE/FULL presets); data (:func:`load_sts`, :class:`StsSet`,
:func:`build_pool`, :class:`PairPool`); models (:func:`tokenize`, :class:`Tokens`,
:class:`BiEncoder`, :class:`CrossEncoder`, :func:`load_pretrained`, :func:`tiny_bert`); training
(:func:`spearman`, :func:`encode_pairs`, :func:`evaluate_bi`, :func:`evaluate_cross`,
:func:`pretrain_mlm`, :func:`train_simcse`, :func:`train_cross_bce`, :func:`train_bi_mse`); the
cycles (:class:`Member`, :class:`CycleSettings`, :func:`run_cycles`); and the experiment
(:func:`prepare`, :func:`build_tiny_start`, :func:`build_minilm_start`, :func:`score_member`); the
dev-only study of when a cycle helps (:class:`Variant`, :func:`variants`, :func:`study_grid`, :func:`run_study`,
:class:`StudyRow`, :func:`word_overlap`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.transencoder.config import (
    FULL,
    MINILM,
    SMOKE,
    CycleSettings,
    TransEncoderConfig,
    config,
    cycle_settings,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.transencoder.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "cycles": (
            "CycleLog",
            "Member",
            "bi_pseudo_labels",
            "cross_pseudo_labels",
            "new_cross",
            "run_cycles",
        ),
        "data": (
            "ALL_SETS",
            "PUBLISHED_SIZES",
            "TEST_SETS",
            "PairPool",
            "StsSet",
            "build_pool",
            "load_sts",
            "pretraining_sentences",
        ),
        "experiment": (
            "ChapterData",
            "Scores",
            "TinyStart",
            "build_minilm_start",
            "build_tiny_start",
            "prepare",
            "score_member",
        ),
        "models": (
            "BiEncoder",
            "CrossEncoder",
            "Tokens",
            "load_pretrained",
            "load_tokenizer",
            "tiny_bert",
            "tokenize",
        ),
        "study": (
            "StudyRow",
            "Variant",
            "reference_row",
            "run_study",
            "study_grid",
            "variants",
            "word_overlap",
        ),
        "train": (
            "CROSS_LOSSES",
            "EncodedPairs",
            "concat_tokens",
            "cross_loss",
            "cross_training_set",
            "encode_pairs",
            "evaluate_bi",
            "evaluate_cross",
            "mask_tokens",
            "pretrain_mlm",
            "rescale_targets",
            "simcse_loss",
            "spearman",
            "subset_pairs",
            "train_bi_mse",
            "train_cross_bce",
            "train_simcse",
        ),
    },
)

#: The paper's STS averages (official README; Spearman x 100 over STS12-16, STS-B, SICK-R):
#: {start model: (start, Trans-Encoder bi, Trans-Encoder cross)}.
PAPER_STS_AVG = {
    "SimCSE-BERT-base": (76.21, 80.41, 79.90),
    "SimCSE-RoBERTa-base": (76.10, 80.47, 81.15),
    "SimCSE-BERT-large": (78.42, 82.65, 82.52),
    "SimCSE-RoBERTa-large": (78.92, 82.93, 82.93),
}
#: Official code run on this machine kind, MiniLM start, 2,000 STS-B pairs, one cycle (notes section 9):
#: STS-B test Spearman x 100 of the bi-encoder before and after, and of the cross-encoder after.
OFFICIAL_MINILM_ONE_CYCLE = {"bi_before": 81.80, "bi_after": 78.47, "cross_after": 51.75}

__all__ = [
    "ALL_SETS",
    "CROSS_LOSSES",
    "FULL",
    "MINILM",
    "OFFICIAL_MINILM_ONE_CYCLE",
    "PAPER_STS_AVG",
    "PUBLISHED_SIZES",
    "SMOKE",
    "TEST_SETS",
    "BiEncoder",
    "ChapterData",
    "CrossEncoder",
    "CycleLog",
    "CycleSettings",
    "EncodedPairs",
    "Member",
    "PairPool",
    "Scores",
    "StsSet",
    "StudyRow",
    "TinyStart",
    "Tokens",
    "TransEncoderConfig",
    "Variant",
    "bi_pseudo_labels",
    "build_minilm_start",
    "build_pool",
    "build_tiny_start",
    "concat_tokens",
    "config",
    "cross_loss",
    "cross_pseudo_labels",
    "cross_training_set",
    "cycle_settings",
    "encode_pairs",
    "evaluate_bi",
    "evaluate_cross",
    "load_pretrained",
    "load_sts",
    "load_tokenizer",
    "mask_tokens",
    "new_cross",
    "prepare",
    "pretrain_mlm",
    "pretraining_sentences",
    "reference_row",
    "rescale_targets",
    "run_cycles",
    "run_study",
    "score_member",
    "simcse_loss",
    "spearman",
    "study_grid",
    "subset_pairs",
    "tiny_bert",
    "tokenize",
    "train_bi_mse",
    "train_cross_bce",
    "train_simcse",
    "variants",
    "word_overlap",
]
