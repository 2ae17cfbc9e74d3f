// One token's decoder step between the fp16-packed GEMMs, fused: a Gemma 3 layer's ~35 small torch ops per token
// (norms, rotation, the cache write, attention, gelu, residuals) become three calls. On a 2-core CPU a 270M
// model's token is ~6 ms of GEMM (memory-bound) and was ~4 ms of op dispatch around it (docs/benchmarks.md).
// Everything is fp32 on contiguous CPU tensors; dialogue/decode_native.py builds and loads this file, and
// dialogue/decoder.py uses it only for one sequence's single token (the Python path does every other step).
#include <torch/extension.h>

#include <cmath>
#include <vector>

namespace {

float inverse_rms(const float* x, int64_t n, double eps) {
  double sum = 0.0;  // in double: the same sum whatever the vector width
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(1.0 / std::sqrt(sum / n + eps));
}

void check(const torch::Tensor& t, const char* name) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous(), name,
              " must be a contiguous fp32 CPU tensor");
}

}  // namespace

// x += rms_norm(y) * post_scale (in place); returns rms_norm(x) * next_scale, the next block's input.
torch::Tensor residual_norm(torch::Tensor x, torch::Tensor y, torch::Tensor post_scale, torch::Tensor next_scale,
                            double eps) {
  for (auto* t : {&x, &y, &post_scale, &next_scale}) check(*t, "residual_norm's tensors");
  const int64_t d = x.numel();
  TORCH_CHECK(y.numel() == d && post_scale.numel() == d && next_scale.numel() == d, "residual_norm: sizes differ");
  float* xp = x.data_ptr<float>();
  const float *yp = y.data_ptr<float>(), *post = post_scale.data_ptr<float>(), *next = next_scale.data_ptr<float>();
  const float ry = inverse_rms(yp, d, eps);
  for (int64_t i = 0; i < d; ++i) xp[i] += yp[i] * ry * post[i];
  auto h = torch::empty_like(x);
  float* hp = h.data_ptr<float>();
  const float rx = inverse_rms(xp, d, eps);
  for (int64_t i = 0; i < d; ++i) hp[i] = xp[i] * rx * next[i];
  return h;
}

// [1, 2·I] gate ‖ up -> [1, I]: gelu(gate, tanh approximation) · up.
torch::Tensor gelu_gate(torch::Tensor gate_up) {
  check(gate_up, "gelu_gate's input");
  const int64_t n = gate_up.numel() / 2;
  auto out = torch::empty({1, n}, gate_up.options());
  const float *g = gate_up.data_ptr<float>(), *u = g + n;
  float* o = out.data_ptr<float>();
  constexpr float k = 0.7978845608028654f;  // √(2/π)
  for (int64_t i = 0; i < n; ++i) {
    const float x = g[i];
    o[i] = 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x))) * u[i];
  }
  return out;
}

// One token's attention for one layer. qkv [1, (H + 2K)·D] (q heads, k heads, v heads); qk_scale [H + K, D] the
// q and k norms' scales; cos, signed_sin [D] the rotation at this position (the first half's sine negated); keys,
// values [capacity, K, D] this layer's cache, written at `position`; attends to cache rows lo … position.
// Returns [1, H·D].
torch::Tensor attend(torch::Tensor qkv, torch::Tensor qk_scale, torch::Tensor cos, torch::Tensor signed_sin,
                     torch::Tensor keys, torch::Tensor values, int64_t position, int64_t lo, int64_t heads,
                     int64_t kv_heads, double eps) {
  for (auto* t : {&qkv, &qk_scale, &cos, &signed_sin, &keys, &values}) check(*t, "attend's tensors");
  const int64_t d = cos.numel(), half = d / 2, normed = heads + kv_heads;
  TORCH_CHECK(qkv.numel() == (heads + 2 * kv_heads) * d && keys.size(2) == d && position < keys.size(0),
              "attend: shapes do not fit");
  std::vector<float> rotated(normed * d);
  const float *src = qkv.data_ptr<float>(), *scale = qk_scale.data_ptr<float>();
  const float *c = cos.data_ptr<float>(), *s = signed_sin.data_ptr<float>();
  for (int64_t h = 0; h < normed; ++h) {  // norm, then rotate: x·cos + [x₂, x₁]·signed_sin
    const float* x = src + h * d;
    const float r = inverse_rms(x, d, eps);
    const float* w = scale + h * d;
    float* y = rotated.data() + h * d;
    for (int64_t i = 0; i < d; ++i) {
      const int64_t j = i < half ? i + half : i - half;
      y[i] = x[i] * r * w[i] * c[i] + x[j] * r * w[j] * s[i];
    }
  }
  float* key_row = keys.data_ptr<float>() + position * kv_heads * d;
  float* value_row = values.data_ptr<float>() + position * kv_heads * d;
  std::copy(rotated.begin() + heads * d, rotated.end(), key_row);
  std::copy(src + normed * d, src + (normed + kv_heads) * d, value_row);

  const int64_t group = heads / kv_heads, length = position + 1 - lo;
  auto out = torch::empty({1, heads * d}, qkv.options());
  auto q = torch::from_blob(rotated.data(), {kv_heads, group, d}, qkv.options());
  auto k = keys.narrow(0, lo, length).transpose(0, 1);    // [K, L, D]
  auto v = values.narrow(0, lo, length).transpose(0, 1);  // [K, L, D]
  auto scores = torch::bmm(q, k.transpose(1, 2));         // [K, group, L]
  auto heads_out = out.view({kv_heads, group, d});
  torch::bmm_out(heads_out, torch::softmax(scores, -1), v);
  return out;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("residual_norm", &residual_norm);
  m.def("gelu_gate", &gelu_gate);
  m.def("attend", &attend);
}
