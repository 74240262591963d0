/*
 * wsclients — measuring clients for the subscription fan-out benchmark (scripts/bench-fanout.ts).
 *
 * Opens <subscribers> WebSocket connections to ws://<host>:<port><path>, speaks graphql-transport-ws
 * on each (connection_init, then on connection_ack the subscribe message read from
 * <subscribe-message-file>, with every literal __ID__ replaced by the client's index in decimal),
 * and records when each event arrives: for every text frame after the ack, the decimal integer
 * after the first `"n":` is the event number e (0 <= e < <events>), and the wall-clock time in
 * milliseconds since the Unix epoch goes into times[e * subscribers + i] (NaN until received; only
 * the first arrival is kept). One thread, one level-triggered epoll loop, one 64 KiB read buffer
 * shared by all connections; nothing is allocated per message.
 *
 *   cc -O2 -o wsclients wsclients.c
 *   wsclients <host> <port> <path> <subscribers> <events> <subscribe-message-file>
 *
 * stdout, unprompted:
 *   READY <connected>        every connection has written its subscribe frame
 *   ERROR <message>          setup failed (a connection failed before READY); exits with status 1
 * stdin commands (one per line), each answered with one line on stdout:
 *   COUNT                    COUNT <events received>  (first arrivals recorded in times)
 *   CPU                      CPU <user+system CPU ms of this process>
 *   DUMP <path>              writes times as little-endian float64 (events * subscribers values,
 *                            event-major) to <path>, then DUMPED (FAILED <message> on error)
 *   STATS                    STATS open=<n> closed=<n> protocol_errors=<n> duplicates=<n>
 *                            out_of_range=<n> other_texts=<n> wakeups=<n> reads=<n>
 *                            (connections open and closed, frames that were not events or
 *                            repeated ones, epoll wakeups and socket reads so far)
 *   QUIT (or EOF on stdin)   closes every connection and exits with status 0
 * An unknown command is answered with FAILED <message>.
 *
 * Frames from the server: 7/16/64-bit lengths, frames split across reads or several per read,
 * fragmented messages, pings (answered with a masked pong with the same payload) and close frames
 * (the connection is closed). A server that breaks the protocol gets its connection closed and
 * counted in STATS (before READY such a failure is fatal: ERROR). Diagnostics go to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define READ_BUFFER_SIZE (64 * 1024)
#define MAX_INFLIGHT 256                 /* connections at once between connect() and subscribed */
#define MAX_HEADERS (16 * 1024)          /* upgrade response headers */
#define MAX_MESSAGE (64u * 1024 * 1024)  /* larger frames or messages are a protocol error */
#define MAX_EVENTS 512                   /* epoll_wait batch */
#define STDIN_TAG UINT64_MAX

enum state { S_IDLE, S_CONNECTING, S_UPGRADING, S_WAIT_ACK, S_SUBSCRIBED, S_CLOSED };

struct conn {
  int fd;
  uint8_t state;
  uint8_t subscribing; /* subscribe frame not yet fully written */
  uint8_t epollout;    /* EPOLLOUT is registered */
  uint8_t frag_opcode; /* opcode of the fragmented message being assembled, 0 if none */
  uint32_t pend_len, pend_cap; /* bytes of an incomplete frame (or of the upgrade response) */
  uint32_t out_len, out_cap;   /* bytes the socket did not take yet */
  uint32_t frag_len, frag_cap; /* payload of the fragmented message so far */
  uint8_t *pend, *out, *frag;
};

static struct conn *conns;
static uint32_t subscribers, events;
static double *times;
static int ep = -1;
static struct addrinfo *addr;
static const char *host, *port, *path;
static char *sub_template; /* subscribe message with __ID__ */
static size_t sub_template_len;
static uint8_t *frame_scratch; /* an outgoing frame being built */
static size_t frame_scratch_cap;
static uint8_t rbuf[READ_BUFFER_SIZE];

static uint32_t next_to_open, inflight, subscribed_count, open_count;
static int ready;
static uint64_t received, duplicates, out_of_range, other_texts, closed_count, protocol_errors, wakeups, reads;
static uint64_t rng_state;

static void fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ERROR ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  fflush(stdout);
  va_end(ap);
  exit(1);
}

static uint64_t rng_next(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)(ts.tv_nsec / 1000) / 1e3;
}

/* Grows *buf to hold at least `need` bytes; 0 on failure. */
static int reserve(uint8_t **buf, uint32_t *cap, size_t need) {
  if (need <= *cap) return 1;
  if (need > MAX_MESSAGE + READ_BUFFER_SIZE + 16) return 0; /* a maximal frame plus one read */
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  uint8_t *p = realloc(*buf, c);
  if (!p) return 0;
  *buf = p;
  *cap = (uint32_t)c;
  return 1;
}

static void set_epollout(struct conn *c, uint32_t i, int on) {
  if (c->epollout == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = i};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->epollout = (uint8_t)on;
}

static void open_more(void);

/* Closes a connection; before READY that is fatal. */
static void conn_close(uint32_t i, int protocol_error, const char *why) {
  struct conn *c = &conns[i];
  if (c->state == S_CLOSED) return;
  if (!ready) fatal("connection %u: %s", i, why);
  if (c->fd >= 0) close(c->fd); /* also removes it from the epoll set */
  c->fd = -1;
  c->state = S_CLOSED;
  free(c->pend), free(c->out), free(c->frag);
  c->pend = c->out = c->frag = NULL;
  c->pend_len = c->pend_cap = c->out_len = c->out_cap = c->frag_len = c->frag_cap = 0;
  open_count--;
  closed_count++;
  if (protocol_error) protocol_errors++;
  if (closed_count <= 10) fprintf(stderr, "wsclients: connection %u closed: %s\n", i, why);
  else if (closed_count == 11) fprintf(stderr, "wsclients: more connections closed (see STATS)\n");
}

static void on_subscribed(struct conn *c) {
  c->subscribing = 0;
  subscribed_count++;
  inflight--;
  if (!ready && subscribed_count == subscribers) {
    ready = 1;
    printf("READY %u\n", open_count);
    fflush(stdout);
  }
  open_more();
}

/* Writes what is queued for the connection. 0 if the connection was closed. */
static int flush_out(struct conn *c, uint32_t i) {
  while (c->out_len) {
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      conn_close(i, 0, strerror(errno));
      return 0;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (uint32_t)n;
  }
  set_epollout(c, i, c->out_len > 0);
  if (!c->out_len && c->subscribing) on_subscribed(c);
  return 1;
}

/* Sends bytes, queueing what the socket does not take. 0 if the connection was closed. */
static int send_bytes(struct conn *c, uint32_t i, const uint8_t *data, size_t len) {
  if (!c->out_len) {
    while (len) {
      ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        conn_close(i, 0, strerror(errno));
        return 0;
      }
      data += n;
      len -= (size_t)n;
    }
    if (!len) return 1;
  }
  if (!reserve(&c->out, &c->out_cap, (size_t)c->out_len + len)) {
    conn_close(i, 0, "output queue too large");
    return 0;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += (uint32_t)len;
  set_epollout(c, i, 1);
  return 1;
}

/* Builds a masked client frame in frame_scratch; returns its length. */
static size_t build_frame(uint8_t opcode, const uint8_t *payload, size_t len) {
  size_t need = len + 14;
  if (need > frame_scratch_cap) {
    uint8_t *p = realloc(frame_scratch, need);
    if (!p) fatal("out of memory");
    frame_scratch = p;
    frame_scratch_cap = need;
  }
  uint8_t *f = frame_scratch;
  size_t h = 0;
  f[h++] = (uint8_t)(0x80 | opcode);
  if (len < 126) {
    f[h++] = (uint8_t)(0x80 | len);
  } else if (len <= 0xffff) {
    f[h++] = 0x80 | 126;
    f[h++] = (uint8_t)(len >> 8);
    f[h++] = (uint8_t)len;
  } else {
    f[h++] = 0x80 | 127;
    for (int k = 7; k >= 0; k--) f[h++] = (uint8_t)((uint64_t)len >> (8 * k));
  }
  uint32_t key = (uint32_t)(rng_next() >> 32);
  uint8_t mask[4] = {(uint8_t)key, (uint8_t)(key >> 8), (uint8_t)(key >> 16), (uint8_t)(key >> 24)};
  memcpy(f + h, mask, 4);
  h += 4;
  for (size_t k = 0; k < len; k++) f[h + k] = payload[k] ^ mask[k & 3];
  return h + len;
}

static int send_frame(struct conn *c, uint32_t i, uint8_t opcode, const uint8_t *payload, size_t len) {
  size_t n = build_frame(opcode, payload, len);
  return send_bytes(c, i, frame_scratch, n);
}

/* The subscribe message of client i: the template with __ID__ replaced by i. */
static int send_subscribe(struct conn *c, uint32_t i) {
  static char *msg;
  static size_t msg_cap;
  char id[16];
  int idlen = snprintf(id, sizeof id, "%u", i);
  size_t need = sub_template_len + (sub_template_len / 6 + 1) * (size_t)idlen + 1;
  if (need > msg_cap) {
    char *p = realloc(msg, need);
    if (!p) fatal("out of memory");
    msg = p;
    msg_cap = need;
  }
  size_t n = 0;
  const char *s = sub_template, *end = sub_template + sub_template_len;
  while (s < end) {
    const char *hit = memmem(s, (size_t)(end - s), "__ID__", 6);
    size_t chunk = (size_t)((hit ? hit : end) - s);
    memcpy(msg + n, s, chunk);
    n += chunk;
    if (!hit) break;
    memcpy(msg + n, id, (size_t)idlen);
    n += (size_t)idlen;
    s = hit + 6;
  }
  c->subscribing = 1;
  c->state = S_SUBSCRIBED;
  if (!send_frame(c, i, 0x1, (const uint8_t *)msg, n)) return 0;
  if (!c->out_len) on_subscribed(c);
  return 1;
}

/* A complete text message. 0 if the connection was closed. */
static int on_text(struct conn *c, uint32_t i, const uint8_t *p, size_t len, double t) {
  if (c->state == S_WAIT_ACK) {
    if (memmem(p, len, "connection_ack", 14)) return send_subscribe(c, i);
    return 1;
  }
  const uint8_t *at = memmem(p, len, "\"n\":", 4);
  if (!at) {
    other_texts++;
    if (memmem(p, len, "\"type\":\"ping\"", 13)) { /* graphql-transport-ws ping */
      static const char pong[] = "{\"type\":\"pong\"}";
      return send_frame(c, i, 0x1, (const uint8_t *)pong, sizeof pong - 1);
    }
    return 1;
  }
  const uint8_t *q = at + 4, *end = p + len;
  uint64_t e = 0;
  int digits = 0;
  while (q < end && *q >= '0' && *q <= '9' && digits < 19) e = e * 10 + (uint64_t)(*q++ - '0'), digits++;
  if (!digits || e >= events) {
    out_of_range++;
    return 1;
  }
  double *slot = &times[e * subscribers + i];
  if (isnan(*slot)) {
    *slot = t;
    received++;
  } else {
    duplicates++;
  }
  return 1;
}

/*
 * Parses the frames in buf[0..len). Returns the bytes consumed (an incomplete frame is left), or
 * SIZE_MAX if the connection was closed.
 */
static size_t parse_frames(struct conn *c, uint32_t i, const uint8_t *buf, size_t len, double t) {
  size_t at = 0;
  while (len - at >= 2) {
    uint8_t b0 = buf[at], b1 = buf[at + 1];
    uint8_t fin = b0 & 0x80, opcode = b0 & 0x0f;
    uint64_t plen = b1 & 0x7f;
    size_t off = at + 2;
    if (b0 & 0x70) return conn_close(i, 1, "reserved bits set in a frame"), SIZE_MAX;
    if (b1 & 0x80) return conn_close(i, 1, "masked frame from the server"), SIZE_MAX;
    if (plen == 126) {
      if (len - at < 4) break;
      plen = ((uint64_t)buf[at + 2] << 8) | buf[at + 3];
      off = at + 4;
    } else if (plen == 127) {
      if (len - at < 10) break;
      plen = 0;
      for (size_t k = 0; k < 8; k++) plen = (plen << 8) | buf[at + 2 + k];
      off = at + 10;
    }
    if (plen > MAX_MESSAGE) return conn_close(i, 1, "frame too large"), SIZE_MAX;
    if (len - off < plen) break;
    const uint8_t *payload = buf + off;
    size_t n = (size_t)plen;
    at = off + n;
    if (opcode >= 0x8) { /* control frames */
      if (!fin || n > 125) return conn_close(i, 1, "invalid control frame"), SIZE_MAX;
      if (opcode == 0x9) {
        if (!send_frame(c, i, 0xa, payload, n)) return SIZE_MAX;
      } else if (opcode == 0x8) {
        char why[64];
        unsigned code = n >= 2 ? ((unsigned)payload[0] << 8) | payload[1] : 1005;
        snprintf(why, sizeof why, "close frame from the server (code %u)", code);
        uint8_t echo[2] = {(uint8_t)(code >> 8), (uint8_t)code};
        size_t fl = build_frame(0x8, echo, n >= 2 ? 2 : 0); /* best effort */
        if (send(c->fd, frame_scratch, fl, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* ignored */ }
        conn_close(i, 0, why);
        return SIZE_MAX;
      } else if (opcode != 0xa) {
        return conn_close(i, 1, "unknown control opcode"), SIZE_MAX;
      }
    } else if (opcode == 0x1 || opcode == 0x2) {
      if (c->frag_opcode) return conn_close(i, 1, "new message inside a fragmented one"), SIZE_MAX;
      if (fin) {
        if (opcode == 0x1 && !on_text(c, i, payload, n, t)) return SIZE_MAX;
      } else {
        c->frag_opcode = opcode;
        c->frag_len = 0;
        if (!reserve(&c->frag, &c->frag_cap, n)) return conn_close(i, 1, "message too large"), SIZE_MAX;
        memcpy(c->frag, payload, n);
        c->frag_len = (uint32_t)n;
      }
    } else if (opcode == 0x0) {
      if (!c->frag_opcode) return conn_close(i, 1, "continuation frame without a message"), SIZE_MAX;
      if ((size_t)c->frag_len + n > MAX_MESSAGE || !reserve(&c->frag, &c->frag_cap, (size_t)c->frag_len + n))
        return conn_close(i, 1, "message too large"), SIZE_MAX;
      memcpy(c->frag + c->frag_len, payload, n);
      c->frag_len += (uint32_t)n;
      if (fin) {
        uint8_t op = c->frag_opcode;
        c->frag_opcode = 0;
        if (op == 0x1 && !on_text(c, i, c->frag, c->frag_len, t)) return SIZE_MAX;
        c->frag_len = 0;
      }
    } else {
      return conn_close(i, 1, "unknown opcode"), SIZE_MAX;
    }
  }
  return at;
}

/* Parses buf (the shared read buffer, or the connection's own pending bytes) and keeps the rest. */
static void consume(struct conn *c, uint32_t i, const uint8_t *buf, size_t len, double t) {
  int own = buf == c->pend;
  size_t used = parse_frames(c, i, buf, len, t);
  if (used == SIZE_MAX) return;
  size_t rest = len - used;
  if (own) {
    if (rest && used) memmove(c->pend, c->pend + used, rest);
  } else if (rest) {
    if (!reserve(&c->pend, &c->pend_cap, rest)) { conn_close(i, 0, "out of memory"); return; }
    memcpy(c->pend, buf + used, rest);
  }
  c->pend_len = (uint32_t)rest;
}

static void on_upgrade_bytes(struct conn *c, uint32_t i, size_t n, double t) {
  if (c->pend_len + n > MAX_HEADERS) { conn_close(i, 1, "upgrade response headers too large"); return; }
  if (!reserve(&c->pend, &c->pend_cap, c->pend_len + n)) { conn_close(i, 0, "out of memory"); return; }
  memcpy(c->pend + c->pend_len, rbuf, n);
  c->pend_len += (uint32_t)n;
  const uint8_t *end = memmem(c->pend, c->pend_len, "\r\n\r\n", 4);
  if (!end) return;
  if (c->pend_len < 12 || memcmp(c->pend, "HTTP/1.1 101", 12) != 0) {
    char why[128];
    const uint8_t *eol = memchr(c->pend, '\r', c->pend_len);
    int l = (int)(eol - c->pend);
    snprintf(why, sizeof why, "upgrade refused: %.*s", l > 80 ? 80 : l, (const char *)c->pend);
    for (char *w = why; *w; w++)
      if ((unsigned char)*w < 0x20) *w = '?';
    conn_close(i, 1, why);
    return;
  }
  size_t head = (size_t)(end - c->pend) + 4;
  size_t rest = c->pend_len - head;
  memmove(c->pend, c->pend + head, rest);
  c->pend_len = (uint32_t)rest;
  c->state = S_WAIT_ACK;
  static const char init[] = "{\"type\":\"connection_init\"}";
  if (!send_frame(c, i, 0x1, (const uint8_t *)init, sizeof init - 1)) return;
  if (c->pend_len) consume(c, i, c->pend, c->pend_len, t);
}

static void on_connected(struct conn *c, uint32_t i) {
  int err = 0;
  socklen_t l = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
  if (err) { conn_close(i, 0, strerror(err)); return; }
  c->state = S_UPGRADING;
  uint8_t key[16];
  for (int k = 0; k < 16; k += 8) {
    uint64_t r = rng_next();
    memcpy(key + k, &r, 8);
  }
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char k64[25];
  size_t o = 0;
  for (int k = 0; k < 15; k += 3) {
    uint32_t v = (uint32_t)key[k] << 16 | (uint32_t)key[k + 1] << 8 | key[k + 2];
    k64[o++] = b64[v >> 18], k64[o++] = b64[(v >> 12) & 63], k64[o++] = b64[(v >> 6) & 63], k64[o++] = b64[v & 63];
  }
  k64[o++] = b64[key[15] >> 2], k64[o++] = b64[(key[15] & 3) << 4], k64[o++] = '=', k64[o++] = '=';
  k64[o] = 0;
  int v6 = strchr(host, ':') != NULL; /* an IPv6 literal goes in brackets */
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
                   path, v6 ? "[" : "", host, v6 ? "]" : "", port, k64);
  if (n < 0 || (size_t)n >= sizeof req) fatal("request line too long");
  if (!send_bytes(c, i, (const uint8_t *)req, (size_t)n)) return;
  if (!c->out_len) set_epollout(c, i, 0);
}

static void open_conn(uint32_t i) {
  struct conn *c = &conns[i];
  int fd = socket(addr->ai_family, addr->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, addr->ai_protocol);
  if (fd < 0) fatal("connection %u: socket: %s", i, strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  c->state = S_CONNECTING;
  open_count++;
  inflight++;
  if (connect(fd, addr->ai_addr, addr->ai_addrlen) < 0 && errno != EINPROGRESS) conn_close(i, 0, strerror(errno));
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = i};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) fatal("epoll_ctl: %s", strerror(errno));
  c->epollout = 1;
}

static void open_more(void) {
  while (next_to_open < subscribers && inflight < MAX_INFLIGHT) open_conn(next_to_open++);
}

static void on_conn_event(uint32_t i, uint32_t evs) {
  struct conn *c = &conns[i];
  if (c->state == S_CLOSED) return;
  if (c->state == S_CONNECTING) {
    if (!(evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    on_connected(c, i);
    return;
  }
  if ((evs & EPOLLOUT) && c->out_len && !flush_out(c, i)) return;
  if (!(evs & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
  ssize_t n = read(c->fd, rbuf, sizeof rbuf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    conn_close(i, 0, strerror(errno));
    return;
  }
  if (n == 0) { conn_close(i, 0, "closed by the server"); return; }
  reads++;
  double t = now_ms();
  if (c->state == S_UPGRADING) { on_upgrade_bytes(c, i, (size_t)n, t); return; }
  if (!c->pend_len) { consume(c, i, rbuf, (size_t)n, t); return; }
  if (!reserve(&c->pend, &c->pend_cap, (size_t)c->pend_len + (size_t)n)) { conn_close(i, 1, "frame too large"); return; }
  memcpy(c->pend + c->pend_len, rbuf, (size_t)n);
  c->pend_len += (uint32_t)n;
  consume(c, i, c->pend, c->pend_len, t);
}

static void quit(int status) {
  for (uint32_t i = 0; i < subscribers; i++)
    if (conns[i].fd >= 0) close(conns[i].fd);
  exit(status);
}

static void dump(const char *file) {
  FILE *f = fopen(file, "wb");
  if (!f) {
    printf("FAILED %s: %s\n", file, strerror(errno));
    return;
  }
  size_t total = (size_t)subscribers * events, written = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  for (size_t k = 0; k < total; k++) {
    uint64_t v;
    memcpy(&v, &times[k], 8);
    v = __builtin_bswap64(v);
    written += fwrite(&v, 8, 1, f);
  }
#else
  written = fwrite(times, sizeof *times, total, f);
#endif
  int failed = written != total;
  if (fclose(f) != 0) failed = 1;
  if (failed) printf("FAILED %s: %s\n", file, strerror(errno ? errno : EIO));
  else printf("DUMPED\n");
}

static void command(char *line) {
  size_t l = strlen(line);
  while (l && (line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
  if (!strcmp(line, "COUNT")) {
    printf("COUNT %llu\n", (unsigned long long)received);
  } else if (!strcmp(line, "CPU")) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    printf("CPU %.3f\n", ms);
  } else if (!strncmp(line, "DUMP ", 5) && line[5]) {
    dump(line + 5);
  } else if (!strcmp(line, "STATS")) {
    printf("STATS open=%u closed=%llu protocol_errors=%llu duplicates=%llu out_of_range=%llu other_texts=%llu wakeups=%llu reads=%llu\n",
           open_count, (unsigned long long)closed_count, (unsigned long long)protocol_errors, (unsigned long long)duplicates,
           (unsigned long long)out_of_range, (unsigned long long)other_texts, (unsigned long long)wakeups, (unsigned long long)reads);
  } else if (!strcmp(line, "QUIT")) {
    fflush(stdout);
    quit(0);
  } else {
    printf("FAILED unknown command: %.100s\n", line);
  }
  fflush(stdout);
}

static void on_stdin(void) {
  static char line[8192];
  static size_t len;
  static int discarding; /* the current line is too long */
  char chunk[4096];
  ssize_t n = read(0, chunk, sizeof chunk);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    quit(0);
  }
  if (n == 0) quit(0);
  for (ssize_t k = 0; k < n; k++) {
    char ch = chunk[k];
    if (ch == '\n') {
      if (discarding) {
        printf("FAILED command too long\n");
        fflush(stdout);
      } else {
        line[len] = 0;
        command(line);
      }
      len = 0;
      discarding = 0;
    } else if (!discarding) {
      if (len + 1 >= sizeof line) discarding = 1;
      else line[len++] = ch;
    }
  }
}

static uint32_t parse_count(const char *s, const char *what, uint32_t min) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || end == s || v < min || v > 100000000UL) fatal("invalid %s: %s", what, s);
  return (uint32_t)v;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s <host> <port> <path> <subscribers> <events> <subscribe-message-file>\n", argv[0]);
    return 2;
  }
  host = argv[1], port = argv[2], path = argv[3];
  subscribers = parse_count(argv[4], "subscribers", 1);
  events = parse_count(argv[5], "events", 0);
  signal(SIGPIPE, SIG_IGN);

  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)subscribers + 16)
    fatal("open file limit %llu is too low for %u connections", (unsigned long long)rl.rlim_cur, subscribers);

  FILE *f = fopen(argv[6], "rb");
  if (!f) fatal("%s: %s", argv[6], strerror(errno));
  size_t cap = 4096;
  sub_template = malloc(cap);
  if (!sub_template) fatal("out of memory");
  size_t got;
  while ((got = fread(sub_template + sub_template_len, 1, cap - sub_template_len, f)) > 0) {
    sub_template_len += got;
    if (sub_template_len == cap) {
      if (cap > MAX_MESSAGE / 8) fatal("%s: too large", argv[6]);
      char *p = realloc(sub_template, cap *= 2);
      if (!p) fatal("out of memory");
      sub_template = p;
    }
  }
  fclose(f);
  if (!sub_template_len) fatal("%s is empty", argv[6]);

  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int gai = getaddrinfo(host, port, &hints, &addr);
  if (gai) fatal("%s:%s: %s", host, port, gai_strerror(gai));

  size_t total = (size_t)subscribers * events;
  if (events && total / events != subscribers) fatal("too many subscribers * events");
  times = malloc(total ? total * sizeof *times : 1);
  conns = calloc(subscribers, sizeof *conns);
  if (!times || !conns) fatal("out of memory for %u subscribers * %u events", subscribers, events);
  for (size_t k = 0; k < total; k++) times[k] = NAN;
  for (uint32_t i = 0; i < subscribers; i++) conns[i].fd = -1;

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fatal("epoll_create1: %s", strerror(errno));
  struct epoll_event sev = {.events = EPOLLIN, .data.u64 = STDIN_TAG};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) fatal("stdin cannot be watched (%s): use a pipe", strerror(errno));

  open_more();
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal("epoll_wait: %s", strerror(errno));
    }
    wakeups++;
    for (int k = 0; k < n; k++) {
      if (evs[k].data.u64 == STDIN_TAG) on_stdin();
      else on_conn_event((uint32_t)evs[k].data.u64, evs[k].events);
    }
  }
}
