/* tessel gap9 backend (docs/codegen.md, "gap9"), in the style of the GAP9
   SDK's PMSIS API: a layer of the cluster or the NE16 runs as a cluster task
   (its loop nest on the cluster's master core), its cluster tiles forked
   over the 8 cores, its NE16 tiles as NE16 jobs; L2 <-> L1 moves are cluster
   DMA commands, L3 <-> L2 moves uDMA transfers of the external RAM, both 2-D
   (one per run of rows), issued and waited for in turn. Fabric-controller
   layers run their nest on the FC. */
#include "ne16.h"
#include "pmsis.h"
#include "tessel_hal.h"
#include "tessel_nest.h"
#include "tessel_network.h"

#define CLUSTER_CORES 8
#ifndef TESSEL_LEVEL_L3
#define TESSEL_LEVEL_L3 (-1) /* an SoC without external RAM */
#endif
#ifndef TESSEL_LEVEL_L1
#define TESSEL_LEVEL_L1 (-1) /* an SoC without cluster memory */
#endif

static struct pi_device cluster, ram;
static int on_cluster; /* the running layer's nest runs on the cluster */

void tessel_hal_init(void) {
  static struct pi_cluster_conf cl_conf;
  static struct pi_hyperram_conf ram_conf;
  static int done;
  int i;
  if (done) return;
  done = 1;
  pi_cluster_conf_init(&cl_conf);
  pi_open_from_conf(&cluster, &cl_conf);
  if (pi_cluster_open(&cluster)) pmsis_exit(1);
  pi_hyperram_conf_init(&ram_conf);
  pi_open_from_conf(&ram, &ram_conf);
  if (pi_ram_open(&ram)) pmsis_exit(1);
  /* Levels that are not memory mapped (the external RAM): their arena in RAM. */
  for (i = 0; i < TESSEL_LEVELS; ++i) {
    uint32_t addr;
    if (tessel_arenas[i] || tessel_arena_bytes[i] == 0) continue;
    if (pi_ram_alloc(&ram, &addr, (uint32_t)tessel_arena_bytes[i])) pmsis_exit(1);
    tessel_arenas[i] = (uint8_t*)(uintptr_t)addr;
  }
  for (i = 0; i < TESSEL_LOADS; ++i)
    pi_ram_write(
        &ram, (uint32_t)(uintptr_t)(tessel_arenas[tessel_loads[i].level] + tessel_loads[i].offset),
        (void*)(uintptr_t)tessel_loads[i].data, (uint32_t)tessel_loads[i].bytes);
}

static void nest_entry(void* arg) {
  tessel_nest_run((const tessel_layer*)arg);
}

void tessel_hal_layer(const tessel_layer* l) {
  struct pi_cluster_task task;
  if (l->unit_kind == TESSEL_CPU) {
    on_cluster = 0;
    tessel_nest_run(l);
    return;
  }
  on_cluster = 1;
  pi_cluster_send_task_to_cl(&cluster, pi_cluster_task(&task, nest_entry, (void*)(uintptr_t)l));
}

/* One tile forked over the cluster's cores, each a band of output rows. */
typedef struct {
  const tessel_layer* l;
  const tessel_region* r;
  const tessel_view *in, *in2, *w, *acc, *out;
  int init, final;
} fork_arg;

static void tile_band(void* p) {
  const fork_arg* a = (const fork_arg*)p;
  const int64_t rows = a->r->ext[TESSEL_OY];
  const int64_t band = (rows + CLUSTER_CORES - 1) / CLUSTER_CORES;
  tessel_region r = *a->r;
  r.lo[TESSEL_OY] += band * pi_core_id();
  r.ext[TESSEL_OY] = rows - band * pi_core_id();
  if (r.ext[TESSEL_OY] > band) r.ext[TESSEL_OY] = band;
  if (r.ext[TESSEL_OY] > 0)
    tessel_tile_kernel(a->l, &r, a->in, a->in2, a->w, a->acc, a->out, a->init, a->final);
  pi_cl_team_barrier();
}

static ne16_job_t ne16_job; /* the NE16's job (one at a time) */

int tessel_hal_tile_start(const tessel_layer* l, const tessel_region* r, const tessel_view* in,
                          const tessel_view* in2, const tessel_view* w, const tessel_view* acc,
                          const tessel_view* out, int init, int final) {
  fork_arg a;
  if (l->unit_kind == TESSEL_CONV_ENGINE) {
    ne16_job.layer = l;
    ne16_job.region = r;
    ne16_job.in = in;
    ne16_job.w = w;
    ne16_job.acc = acc;
    ne16_job.out = out;
    ne16_job.init = init;
    ne16_job.final = final;
    return ne16_job_submit(&ne16_job); /* runs on while the cluster goes on */
  }
  if (l->unit_kind != TESSEL_CLUSTER) {
    tessel_tile_kernel(l, r, in, in2, w, acc, out, init, final);
    return -1;
  }
  a.l = l;
  a.r = r;
  a.in = in;
  a.in2 = in2;
  a.w = w;
  a.acc = acc;
  a.out = out;
  a.init = init;
  /* Narrowing partial sums in place would race between the cores: the
     bands finish their sums, then the master core narrows them in order. */
  a.final = final && init;
  pi_cl_team_fork(CLUSTER_CORES, tile_band, &a);
  if (final && !init) tessel_tile_finish(l, r, acc, out);
  return -1;
}

void tessel_hal_tile_wait(const tessel_layer* l, int handle) {
  if (l->unit_kind == TESSEL_CONV_ENGINE && handle >= 0) ne16_job_wait(handle);
}

/* The parts of a concurrent step on the cluster side (the cluster and the
   NE16), interleaved tile by tile on the master core: an NE16 job runs
   while the cores compute a cluster tile. */
typedef struct {
  const tessel_layer* parts[TESSEL_MAX_PARTS];
  int ids[TESSEL_MAX_PARTS];
  int n;
} part_set;

static void cluster_parts(void* arg) {
  static tessel_nest_iter its[TESSEL_MAX_PARTS];
  const part_set* s = (const part_set*)arg;
  tessel_nest_run_all(its, s->parts, s->ids, s->n);
}

/* The fabric controller's parts run on it while the cluster task runs the
   others. (An FC part reads its operands in L2 in place: a split layer's
   tensors are at their homes, so no FC part moves data while the cluster's
   transfers run.) */
void tessel_hal_concurrent(const tessel_layer* const* parts, const int* ids, int n) {
  static tessel_nest_iter fc_its[TESSEL_MAX_PARTS];
  static part_set fc, cl;
  struct pi_cluster_task task;
  pi_task_t done;
  int i;
  fc.n = cl.n = 0;
  for (i = 0; i < n && i < TESSEL_MAX_PARTS; ++i) {
    part_set* s = parts[i]->unit_kind == TESSEL_CPU ? &fc : &cl;
    s->parts[s->n] = parts[i];
    s->ids[s->n++] = ids[i];
  }
  if (cl.n > 0) {
    on_cluster = 1;
    pi_cluster_send_task_to_cl_async(&cluster, pi_cluster_task(&task, cluster_parts, &cl),
                                     pi_task_block(&done));
  }
  tessel_nest_run_all(fc_its, fc.parts, fc.ids, fc.n);
  if (cl.n > 0) pi_task_wait_on(&done);
}

/* One run of rows: `rows` rows of `length` bytes, `stride` bytes apart at
   the strided (L2 or RAM) side, packed at the other. */
static void move_rows(int from, int to, uint32_t far, uint8_t* near, uint32_t rows, uint32_t stride,
                      uint32_t length) {
  const uint32_t size = rows * length;
  const int inbound = from == TESSEL_LEVEL_L3 || to == TESSEL_LEVEL_L1;
  if (from == TESSEL_LEVEL_L3 || to == TESSEL_LEVEL_L3) {
    if (on_cluster) {
      pi_cl_ram_req_t req;
      if (inbound) {
        pi_cl_ram_read_2d(&ram, far, near, size, stride, length, &req);
        pi_cl_ram_read_wait(&req);
      } else {
        pi_cl_ram_write_2d(&ram, far, near, size, stride, length, &req);
        pi_cl_ram_write_wait(&req);
      }
    } else if (inbound) {
      pi_ram_read_2d(&ram, far, near, size, stride, length);
    } else {
      pi_ram_write_2d(&ram, far, near, size, stride, length);
    }
  } else {
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd_2d(far, (uint32_t)(uintptr_t)near, size, stride, length,
                     inbound ? PI_CL_DMA_DIR_EXT2LOC : PI_CL_DMA_DIR_LOC2EXT, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
  }
}

void tessel_dma_copy(int engine, int from, int to, const tessel_view* dst, const tessel_view* src,
                     const int64_t start[5], const int64_t ext[5]) {
  const int bytes = tessel_type_bytes(src->type);
  const int inbound = from == TESSEL_LEVEL_L3 || to == TESSEL_LEVEL_L1;
  const tessel_view *far = inbound ? src : dst, *near = inbound ? dst : src;
  int64_t at[5], a, b, c;
  tessel_count_dma(engine, from, to, src, ext);
  if (far->stride[4] != 1 || near->stride[4] != 1 || near->stride[3] != ext[4]) {
    tessel_cpu_copy(dst, src, start, ext); /* a layout no 2-D command covers */
    return;
  }
  at[3] = start[3];
  at[4] = start[4];
  for (a = 0; a < ext[0]; ++a)
    for (b = 0; b < ext[1]; ++b)
      for (c = 0; c < ext[2]; ++c) {
        at[0] = start[0] + a;
        at[1] = start[1] + b;
        at[2] = start[2] + c;
        move_rows(from, to, (uint32_t)(uintptr_t)tessel_at(far, at), tessel_at(near, at),
                  (uint32_t)ext[3], (uint32_t)(far->stride[3] * bytes), (uint32_t)(ext[4] * bytes));
      }
}
