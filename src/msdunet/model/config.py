"""``ModelConfig``: everything needed to rebuild an architecture; saved in each weights file's card.

Two architectures, chosen by ``encoder``: ``"plain"`` is the paper's MSDU-net (``net.MSDUNet``, its
own contracting path, trained from scratch); any name of the encoder registry (``encoders.ENCODERS``)
is a U-net on that ImageNet-pretrainable encoder (``pretrained_unet.PretrainedUNet``).

Variants (the paper's Tables 2–3):

* ``msdunet``    — the four multi-scale extractors (dilation 1,2,2,2; stride 1,2,4,8).
* ``unet``       — no extractors: the classical U-net.
* ``noskip``     — MSDU-net without the decoder's skip connections (paper's encoder only).
* ``nodilation`` — extractors with plain 5×5 convs instead of dilated 3×3 (paper's encoder only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from msdunet.model.encoders import encoder_names

PLAIN = "plain"  # the paper's contracting path (MSDUNet), not an entry of the encoder registry
VARIANTS = ("msdunet", "unet", "noskip", "nodilation")
NORMS = ("none", "batch")
UPSAMPLINGS = ("transposed", "bilinear")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Everything needed to rebuild the architecture (saved next to the weights)."""

    variant: str = "msdunet"
    width: int = 64  # channels of the first level; the paper's U-net uses 64
    norm: str = "none"
    encoder: str = PLAIN  # "plain" (the paper's) or a name of the encoder registry (ImageNet-pretrainable)
    upsample: str = "transposed"  # the paper's 2×2 transposed conv, or bilinear resize + 3×3 conv
    output_stride: int = 1  # 2: a pretrained-encoder U-net stops decoding at stride 2, logits resized ×2

    def __post_init__(self) -> None:
        choices = {"variant": VARIANTS, "norm": NORMS, "encoder": (PLAIN, *encoder_names()), "upsample": UPSAMPLINGS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {allowed}")
        if self.width < 1:
            raise ValueError(f"width must be positive, got {self.width}")
        if self.pretrained_encoder and self.variant not in ("msdunet", "unet"):
            raise ValueError(f"encoder {self.encoder!r} has variants 'msdunet' (extractors) and 'unet' only")
        if self.pretrained_encoder and self.norm != "batch":
            raise ValueError(f"encoder {self.encoder!r} uses BatchNorm throughout: set norm='batch'")
        if self.output_stride not in (1, 2):
            raise ValueError(f"output_stride is 1 or 2, not {self.output_stride!r}")
        if self.output_stride == 2 and (not self.pretrained_encoder or self.variant != "unet"):
            raise ValueError("output_stride 2 is for a pretrained encoder without extractors (variant 'unet')")

    @property
    def pretrained_encoder(self) -> bool:
        """True for an encoder of the registry (a U-net on it), False for the paper's own path."""
        return self.encoder != PLAIN

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: which architecture, which variant, how wide."""
        if not self.pretrained_encoder:
            return f"MSDU-net ({self.variant}), width {self.width}, norm {self.norm}"
        extractors = "with" if self.variant == "msdunet" else "without"
        stride = ", output at stride 2" if self.output_stride == 2 else ""
        return (
            f"U-net on pretrained {self.encoder} ({extractors} the paper's extractors), decoder width {self.width}"
            + stride
        )

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """A config from a card's ``config`` (keys it does not know are ignored: older cards lack some)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
