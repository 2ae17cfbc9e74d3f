"""The synthesis network's structure on a tiny random model: batching, wavelets, determinism."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from render.generator import FaceGenerator, mean_w
from render.mobilestylegan import MobileStyleGAN, MobileStyleGANConfig, idwt_haar

TINY = MobileStyleGANConfig(style_dim=16, n_mlp=2, block_in=(32, 32), block_out=(32, 16))


def tiny_model(seed: int = 0) -> MobileStyleGAN:
    torch.manual_seed(seed)
    model = MobileStyleGAN(TINY)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    return model.eval()


def _backend(model: MobileStyleGAN):
    class B:
        mapping, synthesis = model.mapping, model.synthesis
        w_dim, resolution = model.cfg.style_dim, model.cfg.resolution
    return B()


def test_resolution_follows_blocks():
    model = tiny_model()
    with torch.no_grad():
        out = model.synthesis(torch.randn(2, 16))
    assert out.shape == (2, 3, 32, 32) and TINY.resolution == 32


def test_each_sample_of_a_batch_equals_its_own_render():
    gen = FaceGenerator(_backend(tiny_model()), torch.zeros(16), device="cpu")
    w = torch.randn(5, 16)
    batch = gen.synthesize(w)
    for i in range(5):
        single = gen.synthesize(w[i:i + 1])
        torch.testing.assert_close(batch[i:i + 1], single, rtol=1e-5, atol=1e-5)
    # different w -> different images (the batch is not one face repeated)
    assert (batch[0] - batch[1]).abs().mean() > 1e-3


def test_the_batched_network_pass_equals_single_sample_passes():
    # FaceGenerator loops over samples on CPU; the network's own batched path (per-sample pointwise
    # weights as a batched matmul) is what CUDA runs.
    model = tiny_model()
    w = torch.randn(4, 16)
    with torch.no_grad():
        batch = model.synthesis(w)
        for i in range(4):
            torch.testing.assert_close(batch[i:i + 1], model.synthesis(w[i:i + 1]), rtol=1e-5, atol=1e-5)


def test_output_is_deterministic_for_a_given_w():
    gen = FaceGenerator(_backend(tiny_model()), torch.zeros(16), device="cpu")
    w = torch.randn(3, 16)
    assert torch.equal(gen.synthesize(w), gen.synthesize(w))


def _idwt_as_graph(x: torch.Tensor) -> torch.Tensor:
    """The IR's spelling: six grouped transposed convolutions with 1/sqrt(2) taps."""
    b, c4, h, w = x.shape
    c = c4 // 4
    t = 2 ** -0.5
    lo_v = torch.tensor([t, t]).reshape(1, 1, 2, 1).repeat(c, 1, 1, 1)
    hi_v = torch.tensor([t, -t]).reshape(1, 1, 2, 1).repeat(c, 1, 1, 1)
    lo_h, hi_h = lo_v.transpose(2, 3), hi_v.transpose(2, 3)
    ll, high = x[:, :c], x[:, c:].reshape(b, c, 3, h, w)

    def up(v, k):
        return F.conv_transpose2d(v, k, stride=(k.shape[2], k.shape[3]), groups=c)

    y0 = up(up(ll, lo_v) + up(high[:, :, 0], hi_v), lo_h)
    y1 = up(up(high[:, :, 1], lo_v) + up(high[:, :, 2], hi_v), hi_h)
    return y0 + y1


def test_closed_form_inverse_wavelet_matches_the_graphs_transposed_convolutions():
    x = torch.randn(2, 4 * 8, 5, 6)
    torch.testing.assert_close(idwt_haar(x), _idwt_as_graph(x), rtol=1e-5, atol=1e-6)


def test_inverse_wavelet_of_a_pure_low_band_is_a_flat_upsample():
    x = torch.zeros(1, 4, 3, 3)
    x[:, 0] = torch.arange(9.0).reshape(3, 3)
    out = idwt_haar(x)
    torch.testing.assert_close(out[0, 0], 0.5 * torch.arange(9.0).reshape(3, 3).repeat_interleave(2, 0)
                               .repeat_interleave(2, 1))


def test_truncation_pulls_toward_the_mean():
    model = tiny_model()
    w_avg = mean_w(model.mapping, 16, samples=2000)
    gen = FaceGenerator(_backend(model), w_avg, device="cpu")
    w = gen.mapping(torch.randn(4, 16))
    torch.testing.assert_close(gen.truncate(w, 0.0), w_avg.expand(4, -1))
    torch.testing.assert_close(gen.truncate(w, 1.0), w)
    half = gen.truncate(w, 0.5)
    assert ((half - w_avg).norm(dim=1) < (w - w_avg).norm(dim=1)).all()


def test_mean_w_is_reproducible():
    model = tiny_model()
    torch.testing.assert_close(mean_w(model.mapping, 16, samples=3000), mean_w(model.mapping, 16, samples=3000))


def test_synthesize_rejects_a_wrong_w_shape():
    gen = FaceGenerator(_backend(tiny_model()), torch.zeros(16), device="cpu")
    import pytest

    with pytest.raises(ValueError, match=r"\[B, 16\]"):
        gen.synthesize(torch.randn(16))
