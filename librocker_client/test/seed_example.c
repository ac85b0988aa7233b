/*
 * The seed's example (its README, 1.1), with only the changes that make it valid C (issue 17): the
 * includes and a main() around it, the overlay dirs assigned one element at a time, guard_pname for
 * guard_name/guard.name, start_your_APP returning a value, my_args/start_my_APP spelled as declared;
 * and, so that the test can fail, "return 1" where the seed says "处理错误" (handle the error).
 */
#include "lib.h"
#include <signal.h>
#include <string.h>

// 由调用方定义的, 将在 ROCKER 中执行的回调函数及其参数
void *your_args = NULL;
int start_your_APP(void *args){ (void)args; return 0; };

int main(void) {

// 初始化一个空白的 RockerRequest 结构体
RockerRequest req = ROCKER_request_new();

// 为 RockerRequest 结构体赋值
req.app_id = 1000;
req.uid = 1000;
req.gid = 1000;
req.app_pkg_path = "/tmp/your_APP.squashfs";
req.app_exec_dir = "/var/your_APP/execdir";
req.app_data_dir = "/var/your_APP/datadir";
req.app_overlay_dirs[0] = "/usr";
req.app_overlay_dirs[1] = "/var";
req.app_overlay_dirs[2] = "/etc";
req.app_overlay_dirs[3] = "/home";
req.app_overlay_dirs[4] = "/root";

// 尝试在 ROCKER 中运行 APP
RockerResult res = ROCKER_enter_rocker(&req, start_your_APP, your_args);

if (ROCKER_ERR_success != res.err_no) {
    // 处理错误
    return 1;
}

// APP 运行结束, 清理环境
kill(res.guard_pid, SIGKILL);

// 更稳健的清理方法
RockerResult res2 = ROCKER_get_guardname(res.guard_pid);
if (ROCKER_ERR_success == res2.err_no && \
        0 == strcmp(res.guard_pname, res2.guard_pname)) {
    kill(res.guard_pid, SIGKILL);
}
return 0;
}
