/* tessel runtime: the CPU's strided copy and the DMA byte counters
   (docs/codegen.md, "Counting DMA bytes"). With -DTESSEL_COUNT_DMA every
   transfer adds its bytes to the counters of its engine and levels for the
   running part (tessel_network.c), which tessel_dma_report prints. */
#include <string.h>

#include "tessel_hal.h"
#include "tessel_network.h"

void tessel_cpu_copy(const tessel_view* dst, const tessel_view* src, const int64_t start[5],
                     const int64_t ext[5]) {
  const int bytes = tessel_type_bytes(src->type);
  int64_t at[5], a, b, c, d, e;
  at[4] = start[4];
  for (a = 0; a < ext[0]; ++a)
    for (b = 0; b < ext[1]; ++b)
      for (c = 0; c < ext[2]; ++c)
        for (d = 0; d < ext[3]; ++d) {
          uint8_t* q;
          const uint8_t* p;
          at[0] = start[0] + a;
          at[1] = start[1] + b;
          at[2] = start[2] + c;
          at[3] = start[3] + d;
          q = tessel_at(dst, at);
          p = tessel_at(src, at);
          if (src->stride[4] == 1 && dst->stride[4] == 1) {
            memcpy(q, p, (size_t)(ext[4] * bytes));
            continue;
          }
          for (e = 0; e < ext[4]; ++e)
            memcpy(q + e * dst->stride[4] * bytes, p + e * src->stride[4] * bytes, (size_t)bytes);
        }
}

#ifdef TESSEL_COUNT_DMA
#include <stdio.h>

void tessel_count_dma(int engine, int from, int to, const tessel_view* src, const int64_t ext[5]) {
  const int64_t bytes = ext[0] * ext[1] * ext[2] * ext[3] * ext[4] * tessel_type_bytes(src->type);
  if (engine < 0) return; /* no engine: nothing the model charges */
  tessel_dma_bytes[((tessel_dma_part * TESSEL_ENGINES + engine) * TESSEL_LEVELS + from) *
                       TESSEL_LEVELS +
                   to] += (uint64_t)bytes;
}

/* The counters of the parts [first, last) as a JSON list, summed. */
static void print_list(FILE* f, int first, int last) {
  int e, a, b, p, sep = 0;
  fputc('[', f);
  for (e = 0; e < TESSEL_ENGINES; ++e)
    for (a = 0; a < TESSEL_LEVELS; ++a)
      for (b = 0; b < TESSEL_LEVELS; ++b) {
        uint64_t n = 0;
        for (p = first; p < last; ++p)
          n += tessel_dma_bytes[((p * TESSEL_ENGINES + e) * TESSEL_LEVELS + a) * TESSEL_LEVELS + b];
        if (n == 0) continue;
        fprintf(f, "%s{\"engine\": \"%s\", \"from\": \"%s\", \"to\": \"%s\", \"bytes\": %llu}",
                sep ? ", " : "", tessel_engine_names[e], tessel_level_names[a],
                tessel_level_names[b], (unsigned long long)n);
        sep = 1;
      }
  fputc(']', f);
}

void tessel_dma_report(FILE* f) {
  int p;
  fputs("{\"dma\": ", f);
  print_list(f, 0, TESSEL_PARTS);
  fputs(", \"parts\": [", f);
  for (p = 0; p < TESSEL_PARTS; ++p) {
    fprintf(f, "%s{\"part\": \"%s\", \"dma\": ", p ? ", " : "", tessel_part_names[p]);
    print_list(f, p, p + 1);
    fputc('}', f);
  }
  fputs("]}\n", f);
}
#else
void tessel_count_dma(int engine, int from, int to, const tessel_view* src, const int64_t ext[5]) {
  (void)engine;
  (void)from;
  (void)to;
  (void)src;
  (void)ext;
}
#endif
