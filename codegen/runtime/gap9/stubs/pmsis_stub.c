/* The PMSIS stand-in (stubs/pmsis.h): one core, transfers done at once. */
#include <stdlib.h>
#include <string.h>

#include "ne16.h"
#include "pmsis.h"

static int core;

void pi_cluster_conf_init(struct pi_cluster_conf* conf) {
  conf->id = 0;
}
void pi_open_from_conf(struct pi_device* device, void* conf) {
  device->config = conf;
}
int pi_cluster_open(struct pi_device* device) {
  (void)device;
  return 0;
}
void pi_cluster_close(struct pi_device* device) {
  (void)device;
}
struct pi_cluster_task* pi_cluster_task(struct pi_cluster_task* task, void (*entry)(void*),
                                        void* arg) {
  task->entry = entry;
  task->arg = arg;
  return task;
}
int pi_cluster_send_task_to_cl(struct pi_device* device, struct pi_cluster_task* task) {
  (void)device;
  task->entry(task->arg);
  return 0;
}
pi_task_t* pi_task_block(pi_task_t* task) {
  task->done = 0;
  return task;
}
void pi_task_wait_on(pi_task_t* task) {
  (void)task; /* one core: the task ran when it was sent */
}
int pi_cluster_send_task_to_cl_async(struct pi_device* device, struct pi_cluster_task* task,
                                     pi_task_t* done) {
  pi_cluster_send_task_to_cl(device, task);
  done->done = 1;
  return 0;
}
void pi_cl_team_fork(int nb_cores, void (*entry)(void*), void* arg) {
  for (core = 0; core < nb_cores; ++core)
    entry(arg);
  core = 0;
}
void pi_cl_team_barrier(void) {}
int pi_core_id(void) {
  return core;
}

static void copy_2d(uint8_t* dst, const uint8_t* src, uint32_t size, uint32_t dst_stride,
                    uint32_t src_stride, uint32_t length) {
  uint32_t done;
  for (done = 0; done < size; done += length, dst += dst_stride, src += src_stride)
    memcpy(dst, src, length);
}

void pi_cl_dma_cmd(uint32_t ext, uint32_t loc, uint32_t size, pi_cl_dma_dir_e dir,
                   pi_cl_dma_cmd_t* cmd) {
  pi_cl_dma_cmd_2d(ext, loc, size, size, size, dir, cmd);
}
void pi_cl_dma_cmd_2d(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride, uint32_t length,
                      pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t* cmd) {
  uint8_t *e = (uint8_t*)(uintptr_t)ext, *l = (uint8_t*)(uintptr_t)loc;
  if (dir == PI_CL_DMA_DIR_EXT2LOC)
    copy_2d(l, e, size, length, stride, length);
  else
    copy_2d(e, l, size, stride, length, length);
  cmd->id = 0;
}
void pi_cl_dma_cmd_wait(pi_cl_dma_cmd_t* cmd) {
  (void)cmd;
}

void pi_hyperram_conf_init(struct pi_hyperram_conf* conf) {
  conf->id = 0;
}
int pi_ram_open(struct pi_device* device) {
  (void)device;
  return 0;
}
int pi_ram_alloc(struct pi_device* device, uint32_t* addr, uint32_t size) {
  void* p = malloc(size);
  (void)device;
  *addr = (uint32_t)(uintptr_t)p;
  return p ? 0 : -1;
}
void pi_ram_write(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size) {
  (void)device;
  memcpy((void*)(uintptr_t)ram_addr, addr, size);
}
void pi_ram_read_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                    uint32_t stride, uint32_t length) {
  pi_cl_ram_req_t req;
  pi_cl_ram_read_2d(device, ram_addr, addr, size, stride, length, &req);
}
void pi_ram_write_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                     uint32_t stride, uint32_t length) {
  pi_cl_ram_req_t req;
  pi_cl_ram_write_2d(device, ram_addr, addr, size, stride, length, &req);
}
void pi_cl_ram_read(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                    pi_cl_ram_req_t* req) {
  pi_cl_ram_read_2d(device, ram_addr, addr, size, size, size, req);
}
void pi_cl_ram_read_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                       uint32_t stride, uint32_t length, pi_cl_ram_req_t* req) {
  (void)device;
  copy_2d((uint8_t*)addr, (const uint8_t*)(uintptr_t)ram_addr, size, length, stride, length);
  req->id = 0;
}
void pi_cl_ram_read_wait(pi_cl_ram_req_t* req) {
  (void)req;
}
void pi_cl_ram_write(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                     pi_cl_ram_req_t* req) {
  pi_cl_ram_write_2d(device, ram_addr, addr, size, size, size, req);
}
void pi_cl_ram_write_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                        uint32_t stride, uint32_t length, pi_cl_ram_req_t* req) {
  (void)device;
  copy_2d((uint8_t*)(uintptr_t)ram_addr, (const uint8_t*)addr, size, stride, length, length);
  req->id = 0;
}
void pi_cl_ram_write_wait(pi_cl_ram_req_t* req) {
  (void)req;
}

int pmsis_kickoff(void* entry) {
  ((void (*)(void))(uintptr_t)entry)();
  return 0;
}
void pmsis_exit(int status) {
  exit(status);
}

int ne16_job_submit(const ne16_job_t* job) {
  tessel_tile_kernel(job->layer, job->region, job->in, NULL, job->w, job->acc, job->out, job->init,
                     job->final);
  return 0;
}
void ne16_job_wait(int id) {
  (void)id;
}
