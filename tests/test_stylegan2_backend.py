"""The rosinality-format StyleGAN2 backend behind the same generator interface (tiny random model)."""
from __future__ import annotations

import pytest
import torch

from render.generator import load_generator
from render.stylegan2 import StyleGAN2Generator, blur_kernel_2d, config_from_state_dict, upfirdn2d

CHANNELS = {4: 8, 8: 8, 16: 4}

# The key layout rosinality/stylegan2-pytorch writes for a 16² generator with n_mlp=2.
ROSINALITY_KEYS_16 = {
    "style.1.weight", "style.1.bias", "style.2.weight", "style.2.bias", "input.input",
    "conv1.conv.weight", "conv1.conv.modulation.weight", "conv1.conv.modulation.bias", "conv1.noise.weight",
    "conv1.activate.bias", "to_rgb1.conv.weight", "to_rgb1.conv.modulation.weight",
    "to_rgb1.conv.modulation.bias", "to_rgb1.bias",
    *[f"convs.{i}.{p}" for i in range(4) for p in ("conv.weight", "conv.modulation.weight",
                                                   "conv.modulation.bias", "noise.weight", "activate.bias")],
    "convs.0.conv.blur.kernel", "convs.2.conv.blur.kernel",
    *[f"to_rgbs.{i}.{p}" for i in range(2) for p in ("conv.weight", "conv.modulation.weight",
                                                     "conv.modulation.bias", "bias", "upsample.kernel")],
    *[f"noises.noise_{i}" for i in range(5)],
}


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    g = StyleGAN2Generator(16, style_dim=8, n_mlp=2, channels=CHANNELS)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight") or name.endswith("activate.bias"):
                p.normal_(0, 0.1)
    path = tmp_path / "tiny.pt"
    torch.save({"g_ema": g.state_dict(), "latent_avg": torch.randn(8), "args": {"size": 16}}, path)
    return path, g


def test_state_dict_layout_is_rosinalitys(checkpoint):
    _, g = checkpoint
    assert set(g.state_dict()) == ROSINALITY_KEYS_16


def test_config_is_read_from_the_checkpoint(checkpoint):
    path, g = checkpoint
    cfg = config_from_state_dict(torch.load(path, weights_only=False)["g_ema"])
    assert cfg == {"size": 16, "style_dim": 8, "n_mlp": 2, "channels": CHANNELS}


def test_loaded_checkpoint_renders_batches_like_single_samples(checkpoint):
    path, _ = checkpoint
    gen = load_generator(str(path), device="cpu")
    assert gen.resolution == 16 and gen.w_dim == 8
    w = gen.mapping(torch.randn(3, 8))
    batch = gen.synthesize(w)
    assert batch.shape == (3, 3, 16, 16)
    for i in range(3):
        torch.testing.assert_close(batch[i:i + 1], gen.synthesize(w[i:i + 1]), rtol=1e-4, atol=1e-5)
    assert (batch[0] - batch[1]).abs().mean() > 1e-4


def test_latent_avg_from_the_checkpoint_is_the_truncation_centre(checkpoint):
    path, _ = checkpoint
    gen = load_generator(str(path), device="cpu")
    avg = torch.load(path, weights_only=False)["latent_avg"]
    torch.testing.assert_close(gen.truncate(torch.randn(1, 8), 0.0)[0], avg)


def test_a_foreign_checkpoint_is_refused_clearly(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"g_ema": {"layer.weight": torch.zeros(2)}}, path)
    with pytest.raises(ValueError, match="not a rosinality StyleGAN2"):
        load_generator(str(path), device="cpu")


def test_upsampling_fir_keeps_a_flat_image_flat():
    x = torch.ones(1, 2, 6, 6)
    k = blur_kernel_2d([1, 3, 3, 1]) * 4
    out = upfirdn2d(x, k, up=2, pad=(2, 1))
    assert out.shape == (1, 2, 12, 12)
    torch.testing.assert_close(out[:, :, 2:-2, 2:-2], torch.ones(1, 2, 8, 8))


def test_demodulation_normalises_each_output_channel():
    from render.stylegan2 import ModulatedConv2d

    torch.manual_seed(1)
    conv = ModulatedConv2d(16, 8, 3, style_dim=4)
    x = torch.randn(2, 16, 32, 32)
    out = conv(x, torch.randn(2, 4) * 3)
    # with unit-variance input, a demodulated conv keeps unit variance per output channel (roughly)
    assert 0.5 < out[:, :, 2:-2, 2:-2].std().item() < 1.5
