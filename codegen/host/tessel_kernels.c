/* tessel host backend: portable integer reference kernels (docs/codegen.md).
   One generic loop nest per operator family over tessel's canonical layer;
   accumulators and epilogue arithmetic in 64 bits, division floored. */
#include "tessel_kernels.h"

#include <math.h>

static double load(const void *p, int type, int64_t i) {
  switch (type) {
    case TESSEL_U8: return ((const uint8_t *)p)[i];
    case TESSEL_I8: return ((const int8_t *)p)[i];
    case TESSEL_U16: return ((const uint16_t *)p)[i];
    case TESSEL_I16: return ((const int16_t *)p)[i];
    case TESSEL_U32: return ((const uint32_t *)p)[i];
    case TESSEL_I32: return ((const int32_t *)p)[i];
    default: return ((const float *)p)[i];
  }
}

/* Wraps an integer to `bits` bits of the given signedness (two's complement). */
static int64_t wrap(int64_t x, int bits, int is_signed) {
  uint64_t mask, u;
  if (bits >= 64) return x;
  mask = ((uint64_t)1 << bits) - 1u;
  u = (uint64_t)x & mask;
  if (is_signed && (u >> (bits - 1)) != 0u) return (int64_t)(u | ~mask);
  return (int64_t)u;
}

static void store(void *p, int type, int64_t i, int64_t v) {
  switch (type) {
    case TESSEL_U8: ((uint8_t *)p)[i] = (uint8_t)wrap(v, 8, 0); break;
    case TESSEL_I8: ((int8_t *)p)[i] = (int8_t)wrap(v, 8, 1); break;
    case TESSEL_U16: ((uint16_t *)p)[i] = (uint16_t)wrap(v, 16, 0); break;
    case TESSEL_I16: ((int16_t *)p)[i] = (int16_t)wrap(v, 16, 1); break;
    case TESSEL_U32: ((uint32_t *)p)[i] = (uint32_t)wrap(v, 32, 0); break;
    case TESSEL_I32: ((int32_t *)p)[i] = (int32_t)wrap(v, 32, 1); break;
    default: ((float *)p)[i] = (float)v; break;
  }
}

/* floor(a / b) for integers, b != 0. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

/* The epilogue of output channel `ch` applied to the accumulator. */
static int64_t epilogue(const tessel_layer *l, int64_t ch, int64_t acc) {
  int s;
  for (s = 0; s < l->num_steps; ++s) {
    const tessel_step *st = &l->steps[s];
    const int64_t v = st->values ? st->values[ch] : st->scalar;
    switch (st->kind) {
      case TESSEL_MUL: acc *= v; break;
      case TESSEL_ADD: acc += v; break;
      case TESSEL_DIV: acc = floor_div(acc, v); break;
      case TESSEL_FLOOR: break; /* integers already */
      case TESSEL_CLIP: acc = acc < st->lo ? st->lo : acc > st->hi ? st->hi : acc; break;
      case TESSEL_RELU: acc = acc < 0 ? 0 : acc; break;
      default: acc = wrap(acc, st->bits, st->is_signed); break;
    }
  }
  return acc;
}

/* A float accumulator truncated toward zero (the Cast that follows a float layer). */
static int64_t integer_of(double acc) {
  return (int64_t)(acc < 0 ? ceil(acc) : floor(acc));
}

static void conv(const tessel_layer *l) {
  int64_t n, g, k, oy, ox, c, fy, fx;
  for (n = 0; n < l->n; ++n)
    for (g = 0; g < l->g; ++g)
      for (k = 0; k < l->k; ++k) {
        const int64_t ch = g * l->k + k;
        for (oy = 0; oy < l->oy; ++oy)
          for (ox = 0; ox < l->ox; ++ox) {
            double acc = 0;
            for (c = 0; c < l->c; ++c)
              for (fy = 0; fy < l->fy; ++fy) {
                const int64_t iy = oy * l->stride_y - l->pad_top + fy * l->dil_y;
                if (iy < 0 || iy >= l->in_y) continue;
                for (fx = 0; fx < l->fx; ++fx) {
                  const int64_t ix = ox * l->stride_x - l->pad_left + fx * l->dil_x;
                  int64_t wi;
                  if (ix < 0 || ix >= l->in_x) continue;
                  wi = l->weights_ck ? c * l->k * l->g + ch
                                     : ((ch * l->c + c) * l->fy + fy) * l->fx + fx;
                  acc += load(l->in, l->in_type,
                              ((n * l->g * l->c + g * l->c + c) * l->in_y + iy) * l->in_x + ix) *
                         load(l->w, l->w_type, wi);
                }
              }
            store(l->out, l->out_type, ((n * l->g * l->k + ch) * l->oy + oy) * l->ox + ox,
                  epilogue(l, ch, integer_of(acc)));
          }
      }
}

static void pool(const tessel_layer *l) {
  int64_t p, oy, ox, fy, fx;
  for (p = 0; p < l->n * l->g; ++p)
    for (oy = 0; oy < l->oy; ++oy)
      for (ox = 0; ox < l->ox; ++ox) {
        double best = -1e300, sum = 0;
        for (fy = 0; fy < l->fy; ++fy)
          for (fx = 0; fx < l->fx; ++fx) {
            const int64_t iy = oy * l->stride_y - l->pad_top + fy * l->dil_y;
            const int64_t ix = ox * l->stride_x - l->pad_left + fx * l->dil_x;
            double v;
            if (iy < 0 || iy >= l->in_y || ix < 0 || ix >= l->in_x) continue;
            v = load(l->in, l->in_type, (p * l->in_y + iy) * l->in_x + ix);
            best = v > best ? v : best;
            sum += v;
          }
        store(l->out, l->out_type, (p * l->oy + oy) * l->ox + ox,
              epilogue(l, p % l->g,
                       l->op == TESSEL_MAX_POOL
                           ? integer_of(best)
                           : floor_div(integer_of(sum), l->fy * l->fx)));
      }
}

static void add(const tessel_layer *l) {
  const int64_t plane = l->oy * l->ox;
  int64_t i;
  for (i = 0; i < l->n * l->g * plane; ++i) {
    const int64_t a = integer_of(load(l->in, l->in_type, i));
    const int64_t b = integer_of(load(l->in2, l->in2_type, i));
    store(l->out, l->out_type, i, epilogue(l, (i / plane) % l->g, a + b));
  }
}

void tessel_layer_run(const tessel_layer *l) {
  switch (l->op) {
    case TESSEL_CONV:
    case TESSEL_DENSE: conv(l); break;
    case TESSEL_MAX_POOL:
    case TESSEL_AVG_POOL: pool(l); break;
    default: add(l); break;
  }
}
