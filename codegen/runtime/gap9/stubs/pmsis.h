/* tessel's stand-in for the GAP9 SDK's PMSIS API (docs/codegen.md, "gap9"):
   the declarations tessel's gap9 backend calls, with the SDK's names and
   argument orders, so that the emitted project compiles and links without
   the SDK. pmsis_stub.c implements them on one core with copies. To build for
   a board, drop stubs/ from the include path and link the SDK's PMSIS. */
#ifndef TESSEL_PMSIS_STUB_H
#define TESSEL_PMSIS_STUB_H

#include <stdint.h>
#include <stdio.h>

struct pi_device {
  void* config;
  void* data;
};

/* Cluster: open it, send it a task, fork a team of cores. */
struct pi_cluster_conf {
  int id;
};
struct pi_cluster_task {
  void (*entry)(void*);
  void* arg;
};
void pi_cluster_conf_init(struct pi_cluster_conf* conf);
void pi_open_from_conf(struct pi_device* device, void* conf);
int pi_cluster_open(struct pi_device* device);
void pi_cluster_close(struct pi_device* device);
struct pi_cluster_task* pi_cluster_task(struct pi_cluster_task* task, void (*entry)(void*),
                                        void* arg);
int pi_cluster_send_task_to_cl(struct pi_device* device, struct pi_cluster_task* task);
/* An event the fabric controller can wait on: the end of an asynchronous task. */
typedef struct {
  int done;
} pi_task_t;
pi_task_t* pi_task_block(pi_task_t* task);
void pi_task_wait_on(pi_task_t* task);
/* Sends the task and returns at once; `done` is signalled when it ends. */
int pi_cluster_send_task_to_cl_async(struct pi_device* device, struct pi_cluster_task* task,
                                     pi_task_t* done);
void pi_cl_team_fork(int nb_cores, void (*entry)(void*), void* arg);
void pi_cl_team_barrier(void);
int pi_core_id(void);

/* Cluster DMA between L2 (ext) and L1 (loc): 1-D and 2-D (strided on the L2
   side) commands, asynchronous until waited for. */
typedef enum { PI_CL_DMA_DIR_LOC2EXT = 0, PI_CL_DMA_DIR_EXT2LOC = 1 } pi_cl_dma_dir_e;
typedef struct {
  int id;
} pi_cl_dma_cmd_t;
void pi_cl_dma_cmd(uint32_t ext, uint32_t loc, uint32_t size, pi_cl_dma_dir_e dir,
                   pi_cl_dma_cmd_t* cmd);
void pi_cl_dma_cmd_2d(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride, uint32_t length,
                      pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t* cmd);
void pi_cl_dma_cmd_wait(pi_cl_dma_cmd_t* cmd);

/* External RAM (L3) through the uDMA: allocation, and cluster-side 1-D and
   2-D (strided on the RAM side) reads and writes to L2. */
struct pi_hyperram_conf {
  int id;
};
typedef struct {
  int id;
} pi_cl_ram_req_t;
void pi_hyperram_conf_init(struct pi_hyperram_conf* conf);
int pi_ram_open(struct pi_device* device);
int pi_ram_alloc(struct pi_device* device, uint32_t* addr, uint32_t size);
/* Fabric-controller side, synchronous. */
void pi_ram_write(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size);
void pi_ram_read_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                    uint32_t stride, uint32_t length);
void pi_ram_write_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                     uint32_t stride, uint32_t length);
/* Cluster side, asynchronous until waited for. */
void pi_cl_ram_read(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                    pi_cl_ram_req_t* req);
void pi_cl_ram_read_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                       uint32_t stride, uint32_t length, pi_cl_ram_req_t* req);
void pi_cl_ram_read_wait(pi_cl_ram_req_t* req);
void pi_cl_ram_write(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                     pi_cl_ram_req_t* req);
void pi_cl_ram_write_2d(struct pi_device* device, uint32_t ram_addr, void* addr, uint32_t size,
                        uint32_t stride, uint32_t length, pi_cl_ram_req_t* req);
void pi_cl_ram_write_wait(pi_cl_ram_req_t* req);

/* Start-up: runs `entry` on the fabric controller. */
int pmsis_kickoff(void* entry);
void pmsis_exit(int status);

#endif
