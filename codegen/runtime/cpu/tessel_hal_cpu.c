/* tessel's CPU HAL, of the host and cortex-m backends (docs/codegen.md,
   "Backends"): every layer's loop nest and tiles run on the CPU with the
   portable kernels, and the moves between memory levels are CPU copies,
   counted against the engine the schedule charges. */
#include "tessel_hal.h"
#include "tessel_nest.h"

void tessel_hal_init(void) {} /* every level is memory mapped */

void tessel_hal_layer(const tessel_layer* l) {
  tessel_nest_run(l);
}

int tessel_hal_tile_start(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                          const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                          const tessel_view* out, int init, int final) {
  tessel_tile_kernel(l, r, in, in2, w, acc, out, init, final);
  return -1;
}

void tessel_hal_tile_wait(const tessel_layer* l, int handle) {
  (void)l;
  (void)handle;
}

/* One CPU: the parts' nests interleaved tile by tile as the gap9 and diana
   backends run them (no faster here, where every tile is the CPU's; the
   host's results and DMA counts check the interleaving). */
void tessel_hal_concurrent(const tessel_layer* const* parts, const int* ids, int n) {
  static tessel_nest_iter its[TESSEL_MAX_PARTS];
  tessel_nest_run_all(its, parts, ids, n);
}

void tessel_dma_copy(int engine, int from, int to, const tessel_view* dst, const tessel_view* src,
                     const int64_t start[5], const int64_t ext[5]) {
  tessel_cpu_copy(dst, src, start, ext);
  tessel_count_dma(engine, from, to, src, ext);
}
