/* tessel's stand-in for a DIANA driver (docs/codegen.md, "diana"): the
   on-chip DMA between L2 and the accelerators' memories, the external memory
   behind L2, and jobs of the digital PE array and the analog in-memory
   array. One job computes one tile from the accelerator's memories; a
   driver for the chip programs the accelerator from tessel's tile
   description (weights mapped onto the analog array's cells beforehand,
   which this stub does not do). diana_stub.c implements it with copies and
   the portable kernel. */
#ifndef TESSEL_DIANA_STUB_H
#define TESSEL_DIANA_STUB_H

#include <stdint.h>

#include "tessel_kernels.h"

/* On-chip DMA: `rows` rows of `length` bytes, each side with its stride. */
void diana_dma_2d(uint32_t dst, uint32_t src, uint32_t rows, uint32_t length, uint32_t dst_stride,
                  uint32_t src_stride);

/* External memory: allocation, and 2-D transfers to and from L2 (strided on
   the external side). */
uint32_t diana_ext_alloc(uint32_t bytes);
void diana_ext_read_2d(uint32_t ext, void* l2, uint32_t rows, uint32_t length, uint32_t stride);
void diana_ext_write_2d(uint32_t ext, const void* l2, uint32_t rows, uint32_t length,
                        uint32_t stride);

typedef struct {
  const tessel_layer* layer;
  const tessel_region* region;
  const tessel_view *in, *in2, *w, *acc, *out;
  int init, final;
} diana_job_t;

int diana_digital_submit(const diana_job_t* job); /* returns a job id */
int diana_analog_submit(const diana_job_t* job);
void diana_wait(int id);

#endif
