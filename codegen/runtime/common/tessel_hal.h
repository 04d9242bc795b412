/* tessel runtime: what each backend provides (docs/codegen.md, "Backends").
   The generic loop nest (tessel_nest.c) calls these; tessel_hal_<cpu|gap9|diana>.c
   implements them on the backend's DMA engines and compute units. */
#ifndef TESSEL_HAL_H
#define TESSEL_HAL_H

#include "tessel_kernels.h"

/* Prepares the SoC once, before the first layer (tessel_run calls it): opens
   devices, places the arenas of levels that are not memory mapped
   (tessel_arenas[i] NULL) and loads the constants homed there
   (tessel_loads). */
void tessel_hal_init(void);

/* Runs a layer on its unit: calls tessel_nest_run(l) where the unit's loop
   nest runs (the fabric controller, a cluster core, the host CPU). */
void tessel_hal_layer(const tessel_layer* l);

/* Starts one innermost tile on the layer's unit (arguments as
   tessel_tile_kernel, valid until it is waited for) and returns a handle for
   tessel_hal_tile_wait: an accelerator's job runs on while the caller goes
   on; a unit the caller itself computes on has finished (-1). */
int tessel_hal_tile_start(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                          const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                          const tessel_view* out, int init, int final);
void tessel_hal_tile_wait(const tessel_layer* l, int handle);

/* Runs the parts of a concurrent step (a layer split across units), part i
   counted as part ids[i] (tessel_dma_part), and returns when every part is
   done: the backend starts the parts at once where its units allow. */
void tessel_hal_concurrent(const tessel_layer* const* parts, const int* ids, int n);

/* Copies the box [start, start + ext) of `src` into `dst` (the same box) with
   DMA engine `engine` (-1: the CPU copies) from level `from` to level `to`,
   and returns when it is done. */
void tessel_dma_copy(int engine, int from, int to, const tessel_view* dst, const tessel_view* src,
                     const int64_t start[5], const int64_t ext[5]);

/* Shared helpers of the backends (tessel_count.c). */
/* A copy by the CPU, element run by element run. */
void tessel_cpu_copy(const tessel_view* dst, const tessel_view* src, const int64_t start[5],
                     const int64_t ext[5]);
/* Adds a transfer's bytes to the counters (with TESSEL_COUNT_DMA; else nothing). */
void tessel_count_dma(int engine, int from, int to, const tessel_view* src, const int64_t ext[5]);

#endif
