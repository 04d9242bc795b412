/* tessel runtime: portable integer tile kernels (docs/codegen.md). One loop
   nest per operator family over a tile of tessel's canonical layer, reading
   and writing tensors through views; products accumulated exactly (in
   double, whose 53-bit mantissa holds every sum the int32 contract allows),
   epilogue arithmetic in 64 bits, division floored. */
#include "tessel_kernels.h"

#include <math.h>
#include <string.h>

int tessel_type_bytes(int type) {
  switch (type) {
    case TESSEL_U8:
    case TESSEL_I8:
      return 1;
    case TESSEL_U16:
    case TESSEL_I16:
      return 2;
    default:
      return 4;
  }
}

uint8_t* tessel_at(const tessel_view* v, const int64_t at[5]) {
  int64_t off = 0;
  int i;
  for (i = 0; i < 5; ++i)
    off += (at[i] - v->origin[i]) * v->stride[i];
  return v->base + off * tessel_type_bytes(v->type);
}

/* Elements are read and written with memcpy: buffers need no alignment. */
static double load(const uint8_t* p, int type) {
  switch (type) {
    case TESSEL_U8:
      return *p;
    case TESSEL_I8:
      return (int8_t)*p;
    case TESSEL_U16: {
      uint16_t v;
      memcpy(&v, p, sizeof v);
      return v;
    }
    case TESSEL_I16: {
      int16_t v;
      memcpy(&v, p, sizeof v);
      return v;
    }
    case TESSEL_U32: {
      uint32_t v;
      memcpy(&v, p, sizeof v);
      return v;
    }
    case TESSEL_I32: {
      int32_t v;
      memcpy(&v, p, sizeof v);
      return v;
    }
    default: {
      float v;
      memcpy(&v, p, sizeof v);
      return v;
    }
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

static void store(uint8_t* p, int type, int64_t x) {
  switch (type) {
    case TESSEL_U8:
      *p = (uint8_t)wrap(x, 8, 0);
      break;
    case TESSEL_I8:
      *p = (uint8_t)wrap(x, 8, 1);
      break;
    case TESSEL_U16: {
      uint16_t v = (uint16_t)wrap(x, 16, 0);
      memcpy(p, &v, sizeof v);
      break;
    }
    case TESSEL_I16: {
      int16_t v = (int16_t)wrap(x, 16, 1);
      memcpy(p, &v, sizeof v);
      break;
    }
    case TESSEL_U32: {
      uint32_t v = (uint32_t)wrap(x, 32, 0);
      memcpy(p, &v, sizeof v);
      break;
    }
    case TESSEL_I32: {
      int32_t v = (int32_t)wrap(x, 32, 1);
      memcpy(p, &v, sizeof v);
      break;
    }
    default: {
      float v = (float)x;
      memcpy(p, &v, sizeof v);
      break;
    }
  }
}

/* floor(a / b) for integers, b != 0. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

/* The epilogue of output channel `ch` applied to the accumulator. */
static int64_t epilogue(const tessel_layer* l, int64_t ch, int64_t acc) {
  int s;
  for (s = 0; s < l->num_steps; ++s) {
    const tessel_step* st = &l->steps[s];
    const int64_t v = st->values ? st->values[ch] : st->scalar;
    switch (st->kind) {
      case TESSEL_MUL:
        acc *= v;
        break;
      case TESSEL_ADD:
        acc += v;
        break;
      case TESSEL_DIV:
        acc = floor_div(acc, v);
        break;
      case TESSEL_FLOOR:
        break; /* integers already */
      case TESSEL_CLIP:
        acc = acc < st->lo ? st->lo : acc > st->hi ? st->hi : acc;
        break;
      case TESSEL_RELU:
        acc = acc < 0 ? 0 : acc;
        break;
      default:
        acc = wrap(acc, st->bits, st->is_signed);
        break;
    }
  }
  return acc;
}

/* An accumulator truncated toward zero (the Cast that follows a float layer). */
static int64_t integer_of(double acc) {
  return (int64_t)(acc < 0 ? ceil(acc) : floor(acc));
}

/* The result of one output element: partial sum or epilogue output. */
static void put(const tessel_layer* l, const tessel_view* acc, const tessel_view* out,
                const int64_t at[5], double a, int final) {
  if (final)
    store(tessel_at(out, at), out->type,
          epilogue(l, at[3] * l->dims[TESSEL_K] + at[4], integer_of(a)));
  else
    store(tessel_at(acc, at), TESSEL_I32, integer_of(a));
}

/* Conv, depthwise, pointwise and dense (a dense layer is a 1x1 conv). */
static void conv(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                 const tessel_view* w, const tessel_view* acc, const tessel_view* out, int init,
                 int final) {
  const int64_t *lo = r->lo, *ext = r->ext;
  const int64_t in_step = in->stride[4] * tessel_type_bytes(in->type);
  const int64_t w_step = w->stride[4] * tessel_type_bytes(w->type);
  int64_t n, oy, ox, g, k, fy, fx, c;
  for (n = lo[TESSEL_N]; n < lo[TESSEL_N] + ext[TESSEL_N]; ++n)
    for (oy = lo[TESSEL_OY]; oy < lo[TESSEL_OY] + ext[TESSEL_OY]; ++oy)
      for (ox = lo[TESSEL_OX]; ox < lo[TESSEL_OX] + ext[TESSEL_OX]; ++ox)
        for (g = lo[TESSEL_G]; g < lo[TESSEL_G] + ext[TESSEL_G]; ++g)
          for (k = lo[TESSEL_K]; k < lo[TESSEL_K] + ext[TESSEL_K]; ++k) {
            const int64_t at_o[5] = {n, oy, ox, g, k};
            double a = init ? 0 : load(tessel_at(acc, at_o), TESSEL_I32);
            for (fy = 0; fy < l->dims[TESSEL_FY]; ++fy) {
              const int64_t iy = oy * l->stride_y - l->pad_top + fy * l->dil_y;
              if (iy < 0 || iy >= l->in_y) continue;
              for (fx = 0; fx < l->dims[TESSEL_FX]; ++fx) {
                const int64_t ix = ox * l->stride_x - l->pad_left + fx * l->dil_x;
                const int64_t at_i[5] = {n, iy, ix, g, lo[TESSEL_C]};
                const int64_t at_w[5] = {g, k, fy, fx, lo[TESSEL_C]};
                const uint8_t *pi, *pw;
                if (ix < 0 || ix >= l->in_x) continue;
                pi = tessel_at(in, at_i);
                pw = tessel_at(w, at_w);
                for (c = 0; c < ext[TESSEL_C]; ++c, pi += in_step, pw += w_step)
                  a += load(pi, in->type) * load(pw, w->type);
              }
            }
            put(l, acc, out, at_o, a, final);
          }
}

/* Max and average pooling over the window (the average floored). */
static void pool(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                 const tessel_view* out) {
  const int64_t *lo = r->lo, *ext = r->ext;
  int64_t n, oy, ox, g, fy, fx;
  for (n = lo[TESSEL_N]; n < lo[TESSEL_N] + ext[TESSEL_N]; ++n)
    for (oy = lo[TESSEL_OY]; oy < lo[TESSEL_OY] + ext[TESSEL_OY]; ++oy)
      for (ox = lo[TESSEL_OX]; ox < lo[TESSEL_OX] + ext[TESSEL_OX]; ++ox)
        for (g = lo[TESSEL_G]; g < lo[TESSEL_G] + ext[TESSEL_G]; ++g) {
          const int64_t at_o[5] = {n, oy, ox, g, 0};
          double best = -1e300, sum = 0;
          for (fy = 0; fy < l->dims[TESSEL_FY]; ++fy)
            for (fx = 0; fx < l->dims[TESSEL_FX]; ++fx) {
              const int64_t iy = oy * l->stride_y - l->pad_top + fy * l->dil_y;
              const int64_t ix = ox * l->stride_x - l->pad_left + fx * l->dil_x;
              const int64_t at_i[5] = {n, iy, ix, g, 0};
              double v;
              if (iy < 0 || iy >= l->in_y || ix < 0 || ix >= l->in_x) continue;
              v = load(tessel_at(in, at_i), in->type);
              best = v > best ? v : best;
              sum += v;
            }
          store(
              tessel_at(out, at_o), out->type,
              epilogue(l, g,
                       l->op == TESSEL_MAX_POOL
                           ? integer_of(best)
                           : floor_div(integer_of(sum), l->dims[TESSEL_FY] * l->dims[TESSEL_FX])));
        }
}

/* Element-wise sum of two feature maps. */
static void add(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                const tessel_view* in2, const tessel_view* out) {
  const int64_t *lo = r->lo, *ext = r->ext;
  int64_t n, oy, ox, g;
  for (n = lo[TESSEL_N]; n < lo[TESSEL_N] + ext[TESSEL_N]; ++n)
    for (oy = lo[TESSEL_OY]; oy < lo[TESSEL_OY] + ext[TESSEL_OY]; ++oy)
      for (ox = lo[TESSEL_OX]; ox < lo[TESSEL_OX] + ext[TESSEL_OX]; ++ox)
        for (g = lo[TESSEL_G]; g < lo[TESSEL_G] + ext[TESSEL_G]; ++g) {
          const int64_t at[5] = {n, oy, ox, g, 0};
          const int64_t a = integer_of(load(tessel_at(in, at), in->type));
          const int64_t b = integer_of(load(tessel_at(in2, at), in2->type));
          store(tessel_at(out, at), out->type, epilogue(l, g, a + b));
        }
}

void tessel_tile_kernel(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                        const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                        const tessel_view* out, int init, int final) {
  switch (l->op) {
    case TESSEL_CONV:
    case TESSEL_DENSE:
      conv(l, r, in, w, acc, out, init, final);
      break;
    case TESSEL_MAX_POOL:
    case TESSEL_AVG_POOL:
      pool(l, r, in, out);
      break;
    default:
      add(l, r, in, in2, out);
      break;
  }
}

void tessel_tile_finish(const tessel_layer* l, const tessel_region* r, const tessel_view* acc,
                        const tessel_view* out) {
  const int64_t *lo = r->lo, *ext = r->ext;
  int64_t n, oy, ox, g, k;
  for (n = lo[TESSEL_N]; n < lo[TESSEL_N] + ext[TESSEL_N]; ++n)
    for (oy = lo[TESSEL_OY]; oy < lo[TESSEL_OY] + ext[TESSEL_OY]; ++oy)
      for (ox = lo[TESSEL_OX]; ox < lo[TESSEL_OX] + ext[TESSEL_OX]; ++ox)
        for (g = lo[TESSEL_G]; g < lo[TESSEL_G] + ext[TESSEL_G]; ++g)
          for (k = lo[TESSEL_K]; k < lo[TESSEL_K] + ext[TESSEL_K]; ++k) {
            const int64_t at[5] = {n, oy, ox, g, k};
            put(l, acc, out, at, load(tessel_at(acc, at), TESSEL_I32), 1);
          }
}
