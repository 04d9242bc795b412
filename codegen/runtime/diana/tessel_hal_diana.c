/* tessel diana backend (docs/codegen.md, "diana"): every layer's loop nest
   runs on the RISC-V host; digital PE-array and analog in-memory-array
   tiles are accelerator jobs, host tiles the portable kernel (the parts of
   a split layer interleaved, their jobs running at once); on-chip moves
   are 2-D DMA transfers, external-memory moves 2-D transfers through L2,
   each issued and finished in turn. */
#include "diana_accel.h"
#include "tessel_hal.h"
#include "tessel_nest.h"
#include "tessel_network.h"

#ifndef TESSEL_LEVEL_L3
#define TESSEL_LEVEL_L3 (-1) /* an SoC without external memory */
#endif

void tessel_hal_init(void) {
  static int done;
  int i;
  if (done) return;
  done = 1;
  for (i = 0; i < TESSEL_LEVELS; ++i)
    if (!tessel_arenas[i] && tessel_arena_bytes[i] > 0)
      tessel_arenas[i] = (uint8_t*)(uintptr_t)diana_ext_alloc((uint32_t)tessel_arena_bytes[i]);
  for (i = 0; i < TESSEL_LOADS; ++i)
    diana_ext_write_2d(
        (uint32_t)(uintptr_t)(tessel_arenas[tessel_loads[i].level] + tessel_loads[i].offset),
        tessel_loads[i].data, 1, (uint32_t)tessel_loads[i].bytes, 0);
}

void tessel_hal_layer(const tessel_layer* l) {
  tessel_nest_run(l);
}

/* The job each accelerator runs (one at a time each). */
static diana_job_t jobs[2];

int tessel_hal_tile_start(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                          const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                          const tessel_view* out, int init, int final) {
  const int analog = l->unit_kind == TESSEL_AIMC;
  diana_job_t* job = &jobs[analog];
  if (l->unit_kind != TESSEL_PE_ARRAY && !analog) {
    tessel_tile_kernel(l, r, in, in2, w, acc, out, init, final);
    return -1;
  }
  job->layer = l;
  job->region = r;
  job->in = in;
  job->in2 = in2;
  job->w = w;
  job->acc = acc;
  job->out = out;
  job->init = init;
  job->final = final;
  return analog ? diana_analog_submit(job) : diana_digital_submit(job);
}

void tessel_hal_tile_wait(const tessel_layer* l, int handle) {
  (void)l;
  if (handle >= 0) diana_wait(handle);
}

/* The host drives every part's nest, tile by tile in turn: the digital and
   analog arrays' jobs run while the host moves data or computes its own
   part's tiles. */
void tessel_hal_concurrent(const tessel_layer* const* parts, const int* ids, int n) {
  static tessel_nest_iter its[TESSEL_MAX_PARTS];
  tessel_nest_run_all(its, parts, ids, n);
}

void tessel_dma_copy(int engine, int from, int to, const tessel_view* dst, const tessel_view* src,
                     const int64_t start[5], const int64_t ext[5]) {
  const uint32_t bytes = (uint32_t)tessel_type_bytes(src->type);
  int64_t at[5], a, b, c;
  tessel_count_dma(engine, from, to, src, ext);
  if (src->stride[4] != 1 || dst->stride[4] != 1) {
    tessel_cpu_copy(dst, src, start, ext); /* a layout no 2-D transfer covers */
    return;
  }
  at[3] = start[3];
  at[4] = start[4];
  for (a = 0; a < ext[0]; ++a)
    for (b = 0; b < ext[1]; ++b)
      for (c = 0; c < ext[2]; ++c) {
        const uint32_t rows = (uint32_t)ext[3], length = (uint32_t)ext[4] * bytes;
        uint32_t d, s;
        at[0] = start[0] + a;
        at[1] = start[1] + b;
        at[2] = start[2] + c;
        d = (uint32_t)(uintptr_t)tessel_at(dst, at);
        s = (uint32_t)(uintptr_t)tessel_at(src, at);
        if (from == TESSEL_LEVEL_L3)
          diana_ext_read_2d(s, (void*)(uintptr_t)d, rows, length, (uint32_t)src->stride[3] * bytes);
        else if (to == TESSEL_LEVEL_L3)
          diana_ext_write_2d(d, (const void*)(uintptr_t)s, rows, length,
                             (uint32_t)dst->stride[3] * bytes);
        else
          diana_dma_2d(d, s, rows, length, (uint32_t)dst->stride[3] * bytes,
                       (uint32_t)src->stride[3] * bytes);
      }
}
