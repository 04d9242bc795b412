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

/* The loop nests a mapping has at most. */
#define TESSEL_MAX_NESTS 3

/* What a nest hands the nest inside it: a region of the layer and where each
   operand is (`acc`: the output's buffer at accumulator width). */
typedef struct {
  tessel_region r;
  tessel_view in[2], w, out, acc;
} tessel_frame;

/* One nest's place in its loops: its tile extents, loops (the dimensions
   with more than one tile, outermost first) and loop indices, per operand
   the innermost loop that indexes it, the loop over C when visits of an
   output tile continue partial sums, the buffers used, the current tile. */
typedef struct {
  int64_t t[8], at[8];
  int loop_dim[8], p[3], loops, c_loop;
  unsigned uses[3];
  tessel_frame f;
} tessel_nest_level;

/* A layer's loop nests run one innermost tile at a time: tessel_nest_begin,
   then tessel_nest_next until it returns 0. Each call does what the nests do
   around one tile (fetches before, write-backs after) and the tile itself,
   so that a backend can interleave the nests of parts that run at once. */
typedef struct {
  const tessel_layer* l;
  tessel_frame top;
  tessel_nest_level lv[TESSEL_MAX_NESTS];
  int pending; /* the started tile's handle (tessel_hal_tile_start) */
  int done;
} tessel_nest_iter;
void tessel_nest_begin(tessel_nest_iter* it, const tessel_layer* l);
/* Runs the next innermost tile; returns 0 when it was the last. It is
   tessel_nest_start (start the tile on its unit) then tessel_nest_finish
   (wait for it, write back and open the next tile; 0 when it was the last). */
int tessel_nest_next(tessel_nest_iter* it);
void tessel_nest_start(tessel_nest_iter* it);
int tessel_nest_finish(tessel_nest_iter* it);

/* The parts of a concurrent step at most. */
#define TESSEL_MAX_PARTS 3
/* Runs the nests of `n` layers interleaved, tile by tile, in `its`: every
   part's next tile is started before any is waited for, so that the tiles of
   units that compute on their own (accelerator jobs) overlap the others';
   part i counted as part ids[i]. */
void tessel_nest_run_all(tessel_nest_iter* its, const tessel_layer* const* parts, const int* ids,
                         int n);

/* Runs a layer on its unit (tessel_hal_layer), which runs tessel_nest_run. */
void tessel_layer_run(const tessel_layer* l);
/* The layer's loop nests over the whole layer, the unit's tile on each
   innermost tile (tessel_hal_tile_start, then tessel_hal_tile_wait). */
void tessel_nest_run(const tessel_layer* l);

/* The network input from NCHW (n images of c channels of hw pixels) into
   HWC, and the output back; `bytes` per element. */
void tessel_to_hwc(uint8_t* dst, const void* src, int64_t n, int64_t c, int64_t hw, int bytes);
void tessel_from_hwc(void* dst, const uint8_t* src, int64_t n, int64_t c, int64_t hw, int bytes);

#endif
