/* tessel's stand-in for an NE16 driver (docs/codegen.md, "gap9"): one job
   computes one tile of a conv, depthwise or pointwise layer from L1 buffers.
   The job carries tessel's tile description; a driver for the board
   programs the NE16's registers from it (weights pre-packed per the NE16's
   bit-serial layout, which this stub does not do). ne16_stub.c runs the job
   with the portable kernel. */
#ifndef TESSEL_NE16_STUB_H
#define TESSEL_NE16_STUB_H

#include "tessel_kernels.h"

typedef struct {
  const tessel_layer* layer;
  const tessel_region* region;
  const tessel_view *in, *w, *acc, *out;
  int init, final;
} ne16_job_t;

int ne16_job_submit(const ne16_job_t* job); /* returns a job id */
void ne16_job_wait(int id);

#endif
