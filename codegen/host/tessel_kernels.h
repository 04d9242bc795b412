/* tessel host backend: portable integer reference kernels (docs/codegen.md). */
#ifndef TESSEL_KERNELS_H
#define TESSEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Element types of tensors and constants. */
enum tessel_type { TESSEL_U8, TESSEL_I8, TESSEL_U16, TESSEL_I16, TESSEL_U32, TESSEL_I32,
                   TESSEL_F32 };

/* One epilogue step, applied to the 64-bit accumulator in order. */
enum tessel_step_kind { TESSEL_MUL, TESSEL_ADD, TESSEL_DIV, TESSEL_FLOOR, TESSEL_CLIP,
                        TESSEL_RELU, TESSEL_CAST };
typedef struct {
  int kind;               /* enum tessel_step_kind */
  const int32_t *values;  /* per-channel operand, or NULL for `scalar` */
  int64_t scalar;
  int64_t lo, hi;         /* clip bounds */
  int bits, is_signed;    /* cast target */
} tessel_step;

/* A layer as tessel's canonical loop nest over N, G, K, C, OY, OX, FY, FX. */
enum tessel_op { TESSEL_CONV, TESSEL_DENSE, TESSEL_MAX_POOL, TESSEL_AVG_POOL, TESSEL_ADD_OP };
typedef struct {
  int op;                              /* enum tessel_op */
  int64_t n, g, k, c, oy, ox, fy, fx;  /* loop bounds */
  int64_t in_y, in_x;                  /* input feature map */
  int stride_y, stride_x, dil_y, dil_x, pad_top, pad_left;
  int weights_ck;                      /* dense weights stored [C][K] */
  const void *in, *in2, *w;            /* inputs (in2: the add's second), weights */
  int in_type, in2_type, w_type;
  void *out;
  int out_type;
  const tessel_step *steps;
  int num_steps;
} tessel_layer;

void tessel_layer_run(const tessel_layer *l);

#endif
