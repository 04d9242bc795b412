/* tessel runtime: the generic loop nest that runs a layer as its mapping
   says (docs/codegen.md, "The loop nest"). */
#ifndef TESSEL_NEST_H
#define TESSEL_NEST_H

#include "tessel_kernels.h"

/* Operands of a layer. */
enum tessel_operand { TESSEL_OP_I, TESSEL_OP_W, TESSEL_OP_O };

/* One loop nest of a mapping: tiles of extents `tile` (within the region
   the nest above hands it) visited in `order` (outermost first); each
   operand it moves is copied from where the nest above left it into a
   buffer at `level` (two with double buffering, used alternately) by DMA
   engine `engine_in` (I, W) or written back by `engine_out` (O). */
struct tessel_nest {
  int64_t tile[8];
  uint8_t order[8];
  uint8_t move[3];
  uint8_t double_buffer[3];
  uint8_t from[3], level[3];       /* memory levels: source and buffer */
  int64_t buffer[3][2];            /* byte offsets of the buffers in the level's arena */
  int8_t engine_in[3], engine_out; /* DMA engine indices (tessel_network.c) */
};
typedef struct tessel_nest tessel_nest;

/* The base address of each memory level's arena (NULL where the network has none). */
extern uint8_t* tessel_arenas[];
/* The bytes of each level's arena. */
extern const int64_t tessel_arena_bytes[];

/* A constant the HAL loads at start-up into a level that is not memory
   mapped: its bytes to `offset` in the level's arena. */
typedef struct {
  int level;
  int64_t offset;
  const void* data;
  int64_t bytes;
} tessel_load;
extern const tessel_load tessel_loads[];

/* Runs a layer on its unit (tessel_hal_layer), which runs tessel_nest_run. */
void tessel_layer_run(const tessel_layer* l);
/* The layer's loop nests over the whole layer, the unit's tile on each
   innermost tile (tessel_hal_tile). */
void tessel_nest_run(const tessel_layer* l);

/* The network input from NCHW (n images of c channels of hw pixels) into
   HWC, and the output back; `bytes` per element. */
void tessel_to_hwc(uint8_t* dst, const void* src, int64_t n, int64_t c, int64_t hw, int bytes);
void tessel_from_hwc(void* dst, const uint8_t* src, int64_t n, int64_t c, int64_t hw, int bytes);

#endif
