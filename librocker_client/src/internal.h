/* librocker_client internals: nothing here is exported (-fvisibility=hidden). */
#ifndef ROCKER_INTERNAL_H___
#define ROCKER_INTERNAL_H___

#include "lib.h"

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* frame types (docs/protocol.md) */
enum {
    RK_ENTER = 0x01, RK_DESTROY_PID = 0x04, RK_PREPARE = 0x08, RK_STARTED = 0x09, RK_RESULT = 0x81,
};

/* timeouts of the Java remote client */
#define RK_CONNECT_MS 10000
#define RK_RESPONSE_MS 120000
/* the largest response frame the client accepts */
#define RK_MAX_FRAME (64u << 20)
#define RK_MAX_CGROUPS 16
#define RK_MAX_PATH 4096

/* a growing byte buffer; failed once an allocation failed */
struct rk_buf {
    unsigned char *p;
    size_t len, cap;
    int failed;
};

void rk_buf_free(struct rk_buf *b);
/* starts a frame: length placeholder, type, version 2 */
void rk_frame_begin(struct rk_buf *b, int type);
/* fills in the frame's length; 0, or -1 when the buffer failed */
int rk_frame_end(struct rk_buf *b);
void rk_field_i32(struct rk_buf *b, uint16_t tag, int32_t v);
void rk_field_bool(struct rk_buf *b, uint16_t tag, int v);
void rk_field_str(struct rk_buf *b, uint16_t tag, const char *s);
/* a nested field list: rk_nested_begin gives the offset rk_nested_end needs */
size_t rk_nested_begin(struct rk_buf *b, uint16_t tag);
void rk_nested_end(struct rk_buf *b, size_t at);
/* the request list of a RockerRequest */
void rk_put_request(struct rk_buf *b, const RockerRequest *req);

/* a decoded RESULT */
struct rk_reply {
    int err_no;
    int app_pid;
    int guard_pid;
    char guard_name[16];
    int has_errno;
    int errno_value;
    struct sock_filter *filter;
    unsigned short filter_len;
    char *cgroup_procs[RK_MAX_CGROUPS];
    int ncgroups;
};

void rk_reply_free(struct rk_reply *r);
/* decodes a RESULT body (either version); 0, or -1 when malformed */
int rk_decode_result(const unsigned char *body, size_t len, struct rk_reply *r);

/* connection: each returns ROCKER_ERR_success or the client-side error */
ROCKER_ERR rk_connect(int *fd);
ROCKER_ERR rk_send(int fd, const struct rk_buf *frame);
ROCKER_ERR rk_recv_result(int fd, struct rk_reply *r, int timeout_ms);
/* connect, send, read one RESULT, close */
ROCKER_ERR rk_call(const struct rk_buf *frame, struct rk_reply *r);

/* a RockerResult from a reply (err_no mapped, guard name copied) */
RockerResult rk_result(const struct rk_reply *r);
RockerResult rk_error(ROCKER_ERR e);

#endif
