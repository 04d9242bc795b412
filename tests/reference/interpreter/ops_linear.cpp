// Conv, MatMul and Gemm of the reference interpreter (reference.hpp).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reference/interpreter/ops.hpp"

namespace tessel::reference {
namespace {

// The output type of a contraction: int32 accumulators for integer
// operands, the operands' float type otherwise.
ElemType accumulator_type(const NodeView& n, const Value& a, const Value& b) {
  if (a.type.is_float != b.type.is_float) n.fail("mixes integer and float operands");
  return a.type.is_float ? a.type : int32_type();
}

// Every element of an integer accumulator within int32.
void check_accumulators(const NodeView& n, const Value& v) {
  if (v.type.is_float) return;
  for (double x : v.data)
    if (x < -2147483648.0 || x > 2147483647.0)
      n.fail(fmt::format("accumulator {} overflows 32 bits", x));
}

// Padding of one spatial axis: (begin, end) from pads or auto_pad.
std::pair<std::int64_t, std::int64_t> axis_padding(const NodeView& n, const std::string& auto_pad,
                                                   const std::vector<std::int64_t>& pads,
                                                   std::size_t axis, std::size_t rank,
                                                   std::int64_t in, std::int64_t kernel,
                                                   std::int64_t stride, std::int64_t dilation) {
  if (auto_pad == "NOTSET") return {pads[axis], pads[axis + rank]};
  if (auto_pad == "VALID") return {0, 0};
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    n.fail(fmt::format("unknown auto_pad '{}'", auto_pad));
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total =
      std::max<std::int64_t>(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - in);
  const std::int64_t small = total / 2;
  return auto_pad == "SAME_UPPER" ? std::pair{small, total - small}
                                  : std::pair{total - small, small};
}

std::vector<Value> conv(const NodeView& n, const Inputs& in) {
  const Value& x = required(n, in, 0);
  const Value& w = required(n, in, 1);
  const Value* b = in.size() > 2 ? in[2] : nullptr;
  if (x.shape.size() != 4 || w.shape.size() != 4)
    n.fail("only 2-D convolutions (NCHW) are supported");
  const std::int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const std::int64_t M = w.shape[0], CG = w.shape[1], KH = w.shape[2], KW = w.shape[3];
  const std::int64_t group = n.attr_int("group", 1);
  if (group < 1 || C != CG * group || M % group != 0)
    n.fail(fmt::format("channels {} / weights {}x{} do not match group {}", C, M, CG, group));
  const auto strides = n.attr_ints("strides", {1, 1});
  const auto dil = n.attr_ints("dilations", {1, 1});
  const auto pads = n.attr_ints("pads", {0, 0, 0, 0});
  const auto auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    n.fail("bad strides, dilations or pads");
  const auto [pt, pb] = axis_padding(n, auto_pad, pads, 0, 2, H, KH, strides[0], dil[0]);
  const auto [pl, pr] = axis_padding(n, auto_pad, pads, 1, 2, W, KW, strides[1], dil[1]);
  const std::int64_t OH = (H + pt + pb - dil[0] * (KH - 1) - 1) / strides[0] + 1;
  const std::int64_t OW = (W + pl + pr - dil[1] * (KW - 1) - 1) / strides[1] + 1;
  Value y{accumulator_type(n, x, w), {N, M, OH, OW}, {}};
  y.data.assign(static_cast<std::size_t>(y.elems()), 0.0);
  const std::int64_t MG = M / group;
  for (std::int64_t b0 = 0; b0 < N; ++b0)
    for (std::int64_t m = 0; m < M; ++m) {
      const std::int64_t g = m / MG;
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          double acc = b ? b->data[static_cast<std::size_t>(m)] : 0.0;
          for (std::int64_t c = 0; c < CG; ++c)
            for (std::int64_t ky = 0; ky < KH; ++ky) {
              const std::int64_t iy = oy * strides[0] - pt + ky * dil[0];
              if (iy < 0 || iy >= H) continue;
              for (std::int64_t kx = 0; kx < KW; ++kx) {
                const std::int64_t ix = ox * strides[1] - pl + kx * dil[1];
                if (ix < 0 || ix >= W) continue;
                acc += x.data[static_cast<std::size_t>(((b0 * C + g * CG + c) * H + iy) * W + ix)] *
                       w.data[static_cast<std::size_t>(((m * CG + c) * KH + ky) * KW + kx)];
              }
            }
          y.data[static_cast<std::size_t>(((b0 * M + m) * OH + oy) * OW + ox)] = acc;
        }
    }
  check_accumulators(n, y);
  return {y};
}

// numpy matmul: [..., M, K] x [..., K, N], batch dimensions broadcast, 1-D
// operands promoted and their unit dimension dropped again.
std::vector<Value> matmul(const NodeView& n, const Inputs& in) {
  Value a = required(n, in, 0), b = required(n, in, 1);
  const bool a_vec = a.shape.size() == 1, b_vec = b.shape.size() == 1;
  if (a_vec) a.shape.insert(a.shape.begin(), 1);
  if (b_vec) b.shape.push_back(1);
  const std::int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back();
  const std::int64_t N = b.shape.back();
  if (b.shape[b.shape.size() - 2] != K) n.fail("inner dimensions differ");
  const std::vector<std::int64_t> ab(a.shape.begin(), a.shape.end() - 2),
      bb(b.shape.begin(), b.shape.end() - 2);
  const std::size_t rank = std::max(ab.size(), bb.size());
  std::vector<std::int64_t> batch(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i + ab.size() >= rank ? ab[i + ab.size() - rank] : 1;
    const std::int64_t db = i + bb.size() >= rank ? bb[i + bb.size() - rank] : 1;
    if (da != db && da != 1 && db != 1) n.fail("batch dimensions do not broadcast");
    batch[i] = std::max(da, db);
  }
  // The flat batch index of an operand for a broadcast batch position.
  auto offset = [&](const std::vector<std::int64_t>& own, std::int64_t flat) {
    std::int64_t off = 0, mul = 1;
    for (std::size_t i = rank; i-- > 0;) {
      const std::int64_t pos = flat % batch[i];
      flat /= batch[i];
      if (i + own.size() >= rank) {
        const std::int64_t d = own[i + own.size() - rank];
        off += (d == 1 ? 0 : pos) * mul;
        mul *= d;
      }
    }
    return off;
  };
  Value y{accumulator_type(n, a, b), batch, {}};
  y.shape.push_back(M);
  y.shape.push_back(N);
  y.data.assign(static_cast<std::size_t>(y.elems()), 0.0);
  for (std::int64_t t = 0; t < product(batch); ++t) {
    const std::int64_t ao = offset(ab, t) * M * K, bo = offset(bb, t) * K * N;
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (std::int64_t k = 0; k < K; ++k)
          acc += a.data[static_cast<std::size_t>(ao + i * K + k)] *
                 b.data[static_cast<std::size_t>(bo + k * N + j)];
        y.data[static_cast<std::size_t>((t * M + i) * N + j)] = acc;
      }
  }
  if (a_vec) y.shape.erase(y.shape.end() - 2);
  if (b_vec) y.shape.pop_back();
  check_accumulators(n, y);
  return {y};
}

// Gemm: alpha * A' B' + beta * C, A' and B' transposed as the attributes say,
// C broadcast to [M, N].
std::vector<Value> gemm(const NodeView& n, const Inputs& in) {
  const Value& a = required(n, in, 0);
  const Value& b = required(n, in, 1);
  const Value* c = in.size() > 2 ? in[2] : nullptr;
  if (a.shape.size() != 2 || b.shape.size() != 2) n.fail("A and B must be 2-D");
  const bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
  const double alpha = n.attr_float("alpha", 1.0), beta = n.attr_float("beta", 1.0);
  const std::int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const std::int64_t N = tb ? b.shape[0] : b.shape[1];
  if ((tb ? b.shape[1] : b.shape[0]) != K) n.fail("inner dimensions differ");
  Value y{accumulator_type(n, a, b), {M, N}, {}};
  y.data.assign(static_cast<std::size_t>(M * N), 0.0);
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (std::int64_t k = 0; k < K; ++k)
        acc += a.data[static_cast<std::size_t>(ta ? k * M + i : i * K + k)] *
               b.data[static_cast<std::size_t>(tb ? j * K + k : k * N + j)];
      double bias = 0;
      if (c) {
        const auto& s = c->shape;
        const std::int64_t ci = s.size() == 2 ? (s[0] == 1 ? 0 : i) : 0;
        const std::int64_t cj = s.empty() ? 0 : (s.back() == 1 ? 0 : j);
        const std::int64_t cols = s.empty() ? 1 : s.back();
        bias = c->data[static_cast<std::size_t>(ci * cols + cj)];
      }
      y.data[static_cast<std::size_t>(i * N + j)] = alpha * acc + beta * bias;
    }
  check_accumulators(n, y);
  return {y};
}

}  // namespace

void register_linear_ops(std::vector<std::pair<std::string_view, OpFn>>& ops) {
  ops.emplace_back("Conv", conv);
  ops.emplace_back("MatMul", matmul);
  ops.emplace_back("Gemm", gemm);
}

}  // namespace tessel::reference
