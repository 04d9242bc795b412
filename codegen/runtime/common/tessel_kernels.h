/* tessel runtime: the layer descriptor and the portable integer tile kernels
   (docs/codegen.md). */
#ifndef TESSEL_KERNELS_H
#define TESSEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Element types of tensors and constants. */
enum tessel_type {
  TESSEL_U8,
  TESSEL_I8,
  TESSEL_U16,
  TESSEL_I16,
  TESSEL_U32,
  TESSEL_I32,
  TESSEL_F32
};
/* Bytes of one element of a type. */
int tessel_type_bytes(int type);

/* One epilogue step, applied to the 64-bit accumulator in order. */
enum tessel_step_kind {
  TESSEL_MUL,
  TESSEL_ADD,
  TESSEL_DIV,
  TESSEL_FLOOR,
  TESSEL_CLIP,
  TESSEL_RELU,
  TESSEL_CAST
};
typedef struct {
  int kind;              /* enum tessel_step_kind */
  const int32_t* values; /* per-channel operand, or NULL for `scalar` */
  int64_t scalar;
  int64_t lo, hi;      /* clip bounds */
  int bits, is_signed; /* cast target */
} tessel_step;

/* The loop dimensions of tessel's canonical layer, in DimArray order. */
enum tessel_dim {
  TESSEL_N,
  TESSEL_G,
  TESSEL_K,
  TESSEL_C,
  TESSEL_OY,
  TESSEL_OX,
  TESSEL_FY,
  TESSEL_FX
};

/* Where a box of a tensor lives: `base` addresses the element at coordinates
   `origin`; the box spans `extent` from there, `stride` elements apart.
   Coordinates: input feature maps (n, y, x, g, c) with y, x input rows and
   columns, output feature maps (n, oy, ox, g, k), weights (g, k, fy, fx, c). */
typedef struct {
  uint8_t* base;
  int64_t origin[5], extent[5], stride[5];
  int type;
} tessel_view;

/* A region of the layer's loop nest: per dimension its first index and extent. */
typedef struct {
  int64_t lo[8], ext[8];
} tessel_region;

enum tessel_op { TESSEL_CONV, TESSEL_DENSE, TESSEL_MAX_POOL, TESSEL_AVG_POOL, TESSEL_ADD_OP };
/* The kinds of compute unit (docs/units.md). */
enum tessel_unit_kind {
  TESSEL_CPU,
  TESSEL_CLUSTER,
  TESSEL_CONV_ENGINE,
  TESSEL_PE_ARRAY,
  TESSEL_AIMC
};

struct tessel_nest;

/* A layer: its loop bounds and window, its epilogue, where its tensors live,
   and the loop nests of its mapping (tessel_nest.h). */
typedef struct {
  int op;             /* enum tessel_op */
  int unit_kind;      /* enum tessel_unit_kind of the unit that runs it */
  int64_t dims[8];    /* loop bounds, enum tessel_dim order */
  int64_t in_y, in_x; /* input feature map */
  int stride_y, stride_x, dil_y, dil_x, pad_top, pad_left;
  const tessel_step* steps;
  int num_steps;
  int out_type;
  int accumulates; /* continues the partial sums in `acc` (a later slice over C) */
  /* Home views of the inputs (in[1]: the add's second), weights and output. */
  tessel_view in[2], w, out;
  tessel_view acc;                 /* the partial sums at the output's home (base NULL: none) */
  int depth;                       /* loop nests */
  const struct tessel_nest* nests; /* outermost first */
} tessel_layer;

/* Runs the unit's work on one tile: the outputs of region `r` from inputs
   `in` (and `in2`) and weights `w`. The accumulators start from 0 when
   `init`, else from the partial sums in `acc` (int32); the result goes to
   `acc` as partial sums, or through the epilogue to `out` when `final`.
   `acc` and `out` may share their base (the output buffer narrowed in place,
   elements visited in increasing address order). */
void tessel_tile_kernel(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                        const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                        const tessel_view* out, int init, int final);

/* The epilogue of region r's partial sums in `acc` into `out` (which may
   share acc's base), in increasing address order. */
void tessel_tile_finish(const tessel_layer* l, const tessel_region* r, const tessel_view* acc,
                        const tessel_view* out);

/* The address of the element at coordinates `at` of a view. */
uint8_t* tessel_at(const tessel_view* v, const int64_t at[5]);

#endif
