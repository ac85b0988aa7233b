/*
 * librocker_client: the seed's C API (its README, section 1.2), served by Rocker over its socket
 * (docs/protocol.md, version 2), and a few functions in the same style. docs/c-client.md.
 *
 * Every function returns its result by value and is safe to call from several threads at once.
 * The socket: ROCKER_set_socket_path(), else the environment's ROCKER_SOCKET, else
 * /run/rocker/rocker.sock.
 */
#ifndef ROCKER_CLIENT_H___
#define ROCKER_CLIENT_H___

#ifdef __cplusplus
extern "C" {
#endif

#include "err_no.h"
#include <stddef.h>

//! 所有接口均返回此结构体
//! NOTE: 返回的是实体数据, 不是指针
//-
//@ err_no: self-descriptive error number
//@ guard_pid: rocker内部的1号进程, 在rocker外部的PID
//@ guard_pname: rocker中的1号进程名称, 此名称随机生成, 服务端确保无重复
//@ app_pid: 用户请求执行的动作(app)所在的进程PID
typedef struct {
    ROCKER_ERR err_no;
    int app_pid;
    int guard_pid;
    char guard_pname[16];
} RockerResult;

//! rocker_client与rocker_server的交互数据结构
//-
//@ app_id: APP uuid
//@ uid: App 进程的 euid
//@ gid: App 进程的 egid
//@ app_pkg_path: App 源文件的路径, 如 /apps/xx.squashfs
//@ app_exec_dir: App 的执行路径, 即 app_pkg_path 的挂载路径
//@ app_data_dir: App 写出的所有数据的存储位置(最上层路径)
//@ app_overlay_dirs[16]: 需要为 App 做 overlay 层的顶层目录, 如 /var 等, 最多 16 个
//                        (unused entries NULL; the list ends at the first NULL)
typedef struct {
    int app_id;
    int uid;
    int gid;

    char *app_pkg_path;
    char *app_exec_dir;
    char *app_data_dir;
    char *app_overlay_dirs[16];
} RockerRequest;

//! 请求创建新rocker, 并在其中运行指定函数的API.
//! 返回RockerResult结构体(NOTE: 不是指针)
//! The app process is the caller's child: waitpid(res.app_pid, ...) gives app's return value
//! (as an exit status: ret & 0xff). Callers must be root (else enter_rocker_failed, errno EPERM).
//-
//@ req[in]: 创建新rocker所需的配置数据
//@ app[in]: rocker创建成功后, 需要在其中执行的函数
//@ app_args[in]: 传递给app函数的参数
RockerResult
ROCKER_enter_rocker(RockerRequest *req, int (*app) (void *), void *app_args)
__attribute__ ((visibility("default")));

//! 获取指定进程的名称, 取自'/proc/<PID>/stat'
//! 客户端给guard进程发信号之前, 需要与创建rocker时返回的原始名称进行对比,
//! 确认PID没有被重用, 以避免误操作
//-
//@ pid[in]: 目标进程的PID
RockerResult
ROCKER_get_guardname(int pid)
__attribute__ ((visibility("default")));

//! 返回一个新的 RockerRequest 实例 (app_id, uid, gid: -1; every pointer NULL)
RockerRequest
ROCKER_request_new(void)
__attribute__ ((visibility("default")));

//! Beyond the seed: runs a command (argv[0] a path inside the rocker; envp NULL-terminated
//! "NAME=VALUE", or NULL for none) in a new rocker through the server (ENTER), as the request's
//! uid/gid under the server's policy: works for non-root callers. stdin: /dev/null; stdout and
//! stderr: the data dir's log/stdout.log and log/stderr.log. app_pid is the command's host pid.
RockerResult
ROCKER_run_rocker(RockerRequest *req, char *const argv[], char *const envp[])
__attribute__ ((visibility("default")));

//! Beyond the seed: destroys the rocker whose guard has this pid and name (DESTROY_PID), through
//! the server (which checks the name on a pidfd of the guard).
RockerResult
ROCKER_destroy(int guard_pid, const char *guard_name)
__attribute__ ((visibility("default")));

//! Beyond the seed: the seed's name of an error ("param_invalid", ...); "unknown" for any other value.
const char *
ROCKER_strerror(ROCKER_ERR err)
__attribute__ ((visibility("default")));

//! Beyond the seed: the server's socket for every later call of this process; NULL: back to the
//! environment's ROCKER_SOCKET, else /run/rocker/rocker.sock. The path is checked at each call.
void
ROCKER_set_socket_path(const char *path)
__attribute__ ((visibility("default")));

#ifdef __cplusplus
}
#endif

#endif
