/* tessel runtime: the generic loop nest (docs/codegen.md, "The loop nest").
   A nest visits its tiles in its order; an operand is fetched when a loop
   that indexes it advances (a loop that does not index it, inside the
   innermost one that does, reuses the tile in the buffer), and an output
   tile is written back when the visit ends. These are the fetch counts of
   the cost model (docs/cost-model.md, "How often each operand moves"). */
#include "tessel_nest.h"

#include "tessel_hal.h"
#include "tessel_network.h"

#include <string.h>

typedef tessel_frame frame;

static int64_t min64(int64_t a, int64_t b) {
  return a < b ? a : b;
}
static int64_t max64(int64_t a, int64_t b) {
  return a > b ? a : b;
}

/* Whether dimension d indexes operand o (for I, every dimension but K). */
static int indexes(int o, int d) {
  if (o == TESSEL_OP_W)
    return d == TESSEL_G || d == TESSEL_K || d == TESSEL_C || d == TESSEL_FY || d == TESSEL_FX;
  if (o == TESSEL_OP_O)
    return d == TESSEL_N || d == TESSEL_G || d == TESSEL_K || d == TESSEL_OY || d == TESSEL_OX;
  return d != TESSEL_K;
}

/* A buffer holding the box [start, start + ext) packed, innermost coordinate last. */
static tessel_view packed(uint8_t* base, const int64_t start[5], const int64_t ext[5], int type) {
  tessel_view v;
  int64_t s = 1;
  int i;
  v.base = base;
  v.type = type;
  for (i = 4; i >= 0; --i) {
    v.origin[i] = start[i];
    v.extent[i] = ext[i];
    v.stride[i] = s;
    s *= ext[i];
  }
  return v;
}

/* Input rows (or columns) the window of `out` output rows reads: the full
   window, but no more than `have` (what the source holds). */
static int64_t window(int64_t out, int stride, int64_t kernel, int dil, int64_t have) {
  return min64(have, (out - 1) * stride + (kernel - 1) * dil + 1);
}

/* The input box of region r in source `src`: the window's rows and columns,
   shifted inside what the source holds where the window reaches into the
   padding (the box the cost model counts). */
static void input_box(const tessel_layer* l, const tessel_region* r, const tessel_view* src,
                      int64_t start[5], int64_t ext[5]) {
  const int64_t rows =
      window(r->ext[TESSEL_OY], l->stride_y, l->dims[TESSEL_FY], l->dil_y, src->extent[1]);
  const int64_t cols =
      window(r->ext[TESSEL_OX], l->stride_x, l->dims[TESSEL_FX], l->dil_x, src->extent[2]);
  const int64_t y = r->lo[TESSEL_OY] * l->stride_y - l->pad_top;
  const int64_t x = r->lo[TESSEL_OX] * l->stride_x - l->pad_left;
  start[0] = r->lo[TESSEL_N];
  ext[0] = r->ext[TESSEL_N];
  start[1] = min64(max64(y, src->origin[1]), src->origin[1] + src->extent[1] - rows);
  ext[1] = rows;
  start[2] = min64(max64(x, src->origin[2]), src->origin[2] + src->extent[2] - cols);
  ext[2] = cols;
  start[3] = r->lo[TESSEL_G];
  ext[3] = r->ext[TESSEL_G];
  start[4] = r->lo[TESSEL_C];
  ext[4] = r->ext[TESSEL_C];
}

/* The box of region r over the dimensions `dims` (outermost first). */
static void region_box(const tessel_region* r, const int dims[5], int64_t start[5],
                       int64_t ext[5]) {
  int i;
  for (i = 0; i < 5; ++i) {
    start[i] = r->lo[dims[i]];
    ext[i] = r->ext[dims[i]];
  }
}

/* The weight box of region r: (g, k, fy, fx, c). */
static void weight_box(const tessel_region* r, int64_t start[5], int64_t ext[5]) {
  static const int dims[5] = {TESSEL_G, TESSEL_K, TESSEL_FY, TESSEL_FX, TESSEL_C};
  region_box(r, dims, start, ext);
}

/* The output box of region r: (n, oy, ox, g, k). */
static void output_box(const tessel_region* r, int64_t start[5], int64_t ext[5]) {
  static const int dims[5] = {TESSEL_N, TESSEL_OY, TESSEL_OX, TESSEL_G, TESSEL_K};
  region_box(r, dims, start, ext);
}

/* The bytes one input tensor's buffer holds for a full tile `t` (the second
   input of an add follows the first's). */
static int64_t input_slot(const tessel_layer* l, const int64_t t[8], int type) {
  const int64_t rows = window(t[TESSEL_OY], l->stride_y, l->dims[TESSEL_FY], l->dil_y, l->in_y);
  const int64_t cols = window(t[TESSEL_OX], l->stride_x, l->dims[TESSEL_FX], l->dil_x, l->in_x);
  return t[TESSEL_N] * t[TESSEL_G] * t[TESSEL_C] * rows * cols * tessel_type_bytes(type);
}

static uint8_t* buffer(const tessel_nest* ns, int o, unsigned* uses) {
  const int b = ns->double_buffer[o] ? (int)(*uses & 1u) : 0;
  ++*uses;
  return tessel_arenas[ns->level[o]] + ns->buffer[o][b];
}

/* Fetches the inputs (both of an add) of f's region into a buffer. */
static void fetch_inputs(const tessel_layer* l, const tessel_nest* ns, const frame* above, frame* f,
                         const int64_t t[8], unsigned* uses) {
  uint8_t* buf = buffer(ns, TESSEL_OP_I, uses);
  const int inputs = l->op == TESSEL_ADD_OP ? 2 : 1;
  int i;
  for (i = 0; i < inputs; ++i) {
    int64_t start[5], ext[5];
    input_box(l, &f->r, &above->in[i], start, ext);
    f->in[i] = packed(buf, start, ext, above->in[i].type);
    tessel_dma_copy(ns->engine_in[TESSEL_OP_I], ns->from[TESSEL_OP_I], ns->level[TESSEL_OP_I],
                    &f->in[i], &above->in[i], start, ext);
    buf += input_slot(l, t, above->in[i].type);
  }
}

static void fetch_weights(const tessel_nest* ns, const frame* above, frame* f, unsigned* uses) {
  int64_t start[5], ext[5];
  weight_box(&f->r, start, ext);
  f->w = packed(buffer(ns, TESSEL_OP_W, uses), start, ext, above->w.type);
  tessel_dma_copy(ns->engine_in[TESSEL_OP_W], ns->from[TESSEL_OP_W], ns->level[TESSEL_OP_W], &f->w,
                  &above->w, start, ext);
}

/* The output buffer of a visit: the final values, and the partial sums at
   accumulator width at the same address; a visit after the first of its
   tile reads the partial sums back first. */
static void open_output(const tessel_nest* ns, const frame* above, frame* f, unsigned* uses,
                        int first_visit) {
  int64_t start[5], ext[5];
  uint8_t* buf = buffer(ns, TESSEL_OP_O, uses);
  output_box(&f->r, start, ext);
  f->out = packed(buf, start, ext, f->out.type);
  f->acc = packed(buf, start, ext, TESSEL_I32);
  if (!first_visit)
    tessel_dma_copy(ns->engine_in[TESSEL_OP_O], ns->from[TESSEL_OP_O], ns->level[TESSEL_OP_O],
                    &f->acc, &above->acc, start, ext);
}

/* The end of a visit: the final values written back, or the partial sums
   at accumulator width when a later visit of the tile continues them. */
static void write_back(const tessel_nest* ns, const frame* above, const frame* f, int last_visit) {
  int64_t start[5], ext[5];
  output_box(&f->r, start, ext);
  tessel_dma_copy(ns->engine_out, ns->level[TESSEL_OP_O], ns->from[TESSEL_OP_O],
                  last_visit ? &above->out : &above->acc, last_visit ? &f->out : &f->acc, start,
                  ext);
}

/* The region of the tile at loop indices `at` of a grid of tiles `t` over `above`. */
static void tile_region(const tessel_region* above, const int64_t t[8], const int loop_dim[8],
                        const int64_t at[8], int loops, tessel_region* r) {
  int i;
  *r = *above;
  for (i = 0; i < loops; ++i) {
    const int d = loop_dim[i];
    r->lo[d] = above->lo[d] + at[i] * t[d];
    r->ext[d] = min64(t[d], above->lo[d] + above->ext[d] - r->lo[d]);
  }
}

static const frame* above_of(const tessel_nest_iter* it, int j) {
  return j == 0 ? &it->top : &it->lv[j - 1].f;
}

/* Starts nest j over the current tile of the nest above: its tile extents,
   loops, and per operand the innermost loop that indexes it. */
static void level_enter(tessel_nest_iter* it, int j) {
  const tessel_nest* ns = &it->l->nests[j];
  const frame* above = above_of(it, j);
  tessel_nest_level* v = &it->lv[j];
  int i, o, d;
  v->loops = 0;
  v->c_loop = -1;
  for (o = 0; o < 3; ++o) {
    v->p[o] = 0;
    v->uses[o] = 0;
  }
  v->f = *above;
  for (d = 0; d < 8; ++d)
    v->t[d] = min64(ns->tile[d], above->r.ext[d]);
  for (i = 0; i < 8; ++i) {
    d = ns->order[i];
    if ((above->r.ext[d] + v->t[d] - 1) / v->t[d] < 2) continue;
    if (d == TESSEL_C) v->c_loop = v->loops;
    v->loop_dim[v->loops] = d;
    v->at[v->loops++] = 0;
    for (o = 0; o < 3; ++o)
      if (indexes(o, d)) v->p[o] = v->loops;
  }
  /* Visits of an output tile are revisits when C is looped outside an output loop. */
  if (v->c_loop >= v->p[TESSEL_OP_O]) v->c_loop = -1;
}

/* Opens nest j's current tile: its region, and the operands whose loops
   advanced (`changed`: the outermost loop that did, 0 on the first tile). */
static void level_open(tessel_nest_iter* it, int j, int changed) {
  const tessel_layer* l = it->l;
  const tessel_nest* ns = &l->nests[j];
  const frame* above = above_of(it, j);
  tessel_nest_level* v = &it->lv[j];
  tile_region(&above->r, v->t, v->loop_dim, v->at, v->loops, &v->f.r);
  if (ns->move[TESSEL_OP_I] && (changed == 0 || changed <= v->p[TESSEL_OP_I]))
    fetch_inputs(l, ns, above, &v->f, v->t, &v->uses[TESSEL_OP_I]);
  if (ns->move[TESSEL_OP_W] && (changed == 0 || changed <= v->p[TESSEL_OP_W]))
    fetch_weights(ns, above, &v->f, &v->uses[TESSEL_OP_W]);
  if (ns->move[TESSEL_OP_O] && (changed == 0 || changed <= v->p[TESSEL_OP_O]))
    open_output(ns, above, &v->f, &v->uses[TESSEL_OP_O],
                !l->accumulates && (v->c_loop < 0 || v->at[v->c_loop] == 0));
}

/* Advances nest j past its current tile, writing its output back when the
   visit ends; returns the outermost loop that advanced, 0 when every loop
   wrapped (the nest is done). */
static int level_advance(tessel_nest_iter* it, int j) {
  const tessel_nest* ns = &it->l->nests[j];
  tessel_nest_level* v = &it->lv[j];
  int i, changed;
  for (i = v->loops - 1; i >= 0; --i) {
    const int d = v->loop_dim[i];
    if (++v->at[i] < (above_of(it, j)->r.ext[d] + v->t[d] - 1) / v->t[d]) break;
    v->at[i] = 0;
  }
  changed = i + 1;
  if (ns->move[TESSEL_OP_O] && (changed == 0 || changed <= v->p[TESSEL_OP_O]))
    write_back(ns, above_of(it, j), &v->f,
               v->f.r.lo[TESSEL_C] + v->f.r.ext[TESSEL_C] == it->l->dims[TESSEL_C]);
  return changed;
}

/* Enters and opens nests j .. depth-1 on their first tiles. */
static void descend(tessel_nest_iter* it, int j) {
  for (; j < it->l->depth; ++j) {
    level_enter(it, j);
    level_open(it, j, 0);
  }
}

void tessel_nest_begin(tessel_nest_iter* it, const tessel_layer* l) {
  frame* f = &it->top;
  int d;
  it->l = l;
  it->done = 0;
  for (d = 0; d < 8; ++d) {
    f->r.lo[d] = 0;
    f->r.ext[d] = l->dims[d];
  }
  f->in[0] = l->in[0];
  f->in[1] = l->in[1];
  f->w = l->w;
  f->out = l->out;
  f->acc = l->acc;
  if (!f->acc.base) { /* partial sums in the output itself (a 32-bit output) */
    f->acc = l->out;
    f->acc.type = TESSEL_I32;
  }
  descend(it, 0);
}

void tessel_nest_start(tessel_nest_iter* it) {
  const tessel_layer* l = it->l;
  const frame* f = &it->lv[l->depth - 1].f;
  if (it->done) return;
  it->pending = tessel_hal_tile_start(l, &f->r, &f->in[0], &f->in[1], &f->w, &f->acc, &f->out,
                                      !l->accumulates && f->r.lo[TESSEL_C] == 0,
                                      f->r.lo[TESSEL_C] + f->r.ext[TESSEL_C] == l->dims[TESSEL_C]);
}

int tessel_nest_next(tessel_nest_iter* it) {
  tessel_nest_start(it);
  return tessel_nest_finish(it);
}

void tessel_nest_run_all(tessel_nest_iter* its, const tessel_layer* const* parts, const int* ids,
                         int n) {
  int i, running = n;
  for (i = 0; i < n; ++i) { /* each opens its first tiles: their fetches count as its own */
    tessel_dma_part = ids[i];
    tessel_nest_begin(&its[i], parts[i]);
  }
  while (running > 0) {
    for (i = 0; i < n; ++i) {
      tessel_dma_part = ids[i];
      tessel_nest_start(&its[i]);
    }
    for (i = 0; i < n; ++i) {
      if (its[i].done) continue;
      tessel_dma_part = ids[i];
      if (!tessel_nest_finish(&its[i])) --running;
    }
  }
}

int tessel_nest_finish(tessel_nest_iter* it) {
  const tessel_layer* l = it->l;
  int j = l->depth - 1, changed = 0;
  if (it->done) return 0;
  tessel_hal_tile_wait(l, it->pending);
  /* Up through the nests that finished, to the innermost with tiles left. */
  for (; j >= 0; --j) {
    changed = level_advance(it, j);
    if (changed != 0) break;
  }
  if (j < 0) {
    it->done = 1;
    return 0;
  }
  level_open(it, j, changed);
  descend(it, j + 1);
  return 1;
}

void tessel_layer_run(const tessel_layer* l) {
  tessel_hal_layer(l);
}

void tessel_nest_run(const tessel_layer* l) {
  tessel_nest_iter it;
  tessel_nest_begin(&it, l);
  while (tessel_nest_next(&it)) {
  }
}

void tessel_to_hwc(uint8_t* dst, const void* src, int64_t n, int64_t c, int64_t hw, int bytes) {
  const uint8_t* s = (const uint8_t*)src;
  int64_t i, ch, p;
  for (i = 0; i < n; ++i)
    for (ch = 0; ch < c; ++ch)
      for (p = 0; p < hw; ++p)
        memcpy(dst + ((i * hw + p) * c + ch) * bytes, s + ((i * c + ch) * hw + p) * bytes,
               (size_t)bytes);
}

void tessel_from_hwc(void* dst, const uint8_t* src, int64_t n, int64_t c, int64_t hw, int bytes) {
  uint8_t* d = (uint8_t*)dst;
  int64_t i, ch, p;
  for (i = 0; i < n; ++i)
    for (ch = 0; ch < c; ++ch)
      for (p = 0; p < hw; ++p)
        memcpy(d + ((i * c + ch) * hw + p) * bytes, src + ((i * hw + p) * c + ch) * bytes,
               (size_t)bytes);
}
