/* broker.h — empyrad's file broker (DESIGN.md §5): one thread per brokered
 * sandbox answers its trapped opens; host files are decided by policy,
 * opened here beneath their grant and injected into the app. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/error.h"
#include "policy/policy.h"

struct emp_daemon;

/* What the launcher says about its sandbox (it is the user's own tool,
 * outside the sandbox; the app never speaks here). */
struct emp_broker_attach {
        const char *app_id;
        const char *instance;
        pid_t init_pid;          /* the sandbox's pid 1, in our pid namespace */
        const char *home_inside; /* the app's $HOME inside */
        const char *home_host;   /* the user's home on the host */
        bool network;            /* shared=network: connects trap here */
        const char *provider;    /* direct | none | socks5://HOST:PORT */
        char **net_rules;        /* the manifest's [Empyra Network] rules= */
        int dns_fd;              /* UDP socket on the app's 127.0.0.53:53 (taken), or -1 */
        int diag_fd;             /* NETLINK_SOCK_DIAG socket of the app's namespace (taken), or -1 */
        int factory_fd;          /* the UDP peer factory of the app's namespace (taken), or -1 */
};

enum emp_call_kind {
        EMP_CALL_OPEN = 0,
        EMP_CALL_CONNECT,     /* TCP: a host connection in place of the app's socket */
        EMP_CALL_BIND,        /* TCP: a host listener in place of the app's socket */
        EMP_CALL_UDP_CONNECT, /* UDP connect: the pair, then the connect on our copy */
        EMP_CALL_UDP_SEND,    /* UDP send with a destination: the pair, then continued */
};

/* A trapped call waiting for a prompt's answer. */
struct emp_broker_call {
        struct emp_broker_box *box; /* holds a reference */
        enum emp_call_kind kind;
        uint64_t notif_id;
        pid_t pid;
        /* OPEN */
        char *host_path; /* also the prompt's "path" for CONNECT: "ADDR:PORT" */
        int flags;
        mode_t mode;
        enum emp_file_access access;
        /* CONNECT */
        int app_fd;     /* the socket's number in the app */
        int sock;       /* our duplicate of it (pidfd_getfd) */
        struct sockaddr_storage addr;
        socklen_t addrlen;
        enum emp_protocol protocol;
        char addr_text[46]; /* for the audit log */
        uint16_t port;
        char name[254]; /* the name the app resolved the address from, or "" */
        int pending_sock; /* CONNECT: our socket while a blocking connect is waited for, or -1 */
        bool local;       /* CONNECT in the app's own namespace, on our copy of its socket */
};

/* Start serving listener (taken) for a sandbox. Called with d->lock held. */
int emp_broker_attach(struct emp_daemon *d, int listener, const struct emp_broker_attach *info,
                      struct emp_error *err);
/* Answer a waiting call: allow opens it (beneath grant, or the file itself
 * when grant is NULL) and injects it; deny fails it with EACCES. Frees call.
 * Called with d->lock held (the work itself is a few syscalls). */
void emp_broker_call_finish(struct emp_daemon *d, struct emp_broker_call *call, bool allow, const char *grant);
/* App and instance of a call's sandbox (for prompts and the audit log). */
const char *emp_broker_call_app(const struct emp_broker_call *call);
const char *emp_broker_call_instance(const struct emp_broker_call *call);
/* Join the threads of sandboxes that ended, drop their until-exit rules
 * and free what nothing references. Called with d->lock held. */
void emp_broker_reap(struct emp_daemon *d);
/* Shutdown: stop every thread and free every box (lock not held). */
void emp_broker_stop_all(struct emp_daemon *d);
/* How many sandboxes the broker serves now. */
size_t emp_broker_count(struct emp_daemon *d);
/* The brokered sandboxes running now: [{app, instance, pid}] (lock held). */
json_t *emp_broker_list(struct emp_daemon *d);
