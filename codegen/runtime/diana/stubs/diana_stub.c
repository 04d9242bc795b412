/* The DIANA driver stand-in (stubs/diana_accel.h): transfers done at once,
   jobs run with the portable kernel. */
#include <stdlib.h>
#include <string.h>

#include "diana_accel.h"

void diana_dma_2d(uint32_t dst, uint32_t src, uint32_t rows, uint32_t length, uint32_t dst_stride,
                  uint32_t src_stride) {
  uint32_t r;
  for (r = 0; r < rows; ++r)
    memcpy((uint8_t*)(uintptr_t)(dst + r * dst_stride),
           (const uint8_t*)(uintptr_t)(src + r * src_stride), length);
}

uint32_t diana_ext_alloc(uint32_t bytes) {
  return (uint32_t)(uintptr_t)malloc(bytes);
}

void diana_ext_read_2d(uint32_t ext, void* l2, uint32_t rows, uint32_t length, uint32_t stride) {
  diana_dma_2d((uint32_t)(uintptr_t)l2, ext, rows, length, length, stride);
}

void diana_ext_write_2d(uint32_t ext, const void* l2, uint32_t rows, uint32_t length,
                        uint32_t stride) {
  diana_dma_2d(ext, (uint32_t)(uintptr_t)l2, rows, length, stride, length);
}

static int run(const diana_job_t* j) {
  tessel_tile_kernel(j->layer, j->region, j->in, j->in2, j->w, j->acc, j->out, j->init, j->final);
  return 0;
}
int diana_digital_submit(const diana_job_t* job) {
  return run(job);
}
int diana_analog_submit(const diana_job_t* job) {
  return run(job);
}
void diana_wait(int id) {
  (void)id;
}
