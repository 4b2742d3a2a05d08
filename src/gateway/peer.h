/* peer.h — who is on the other end of a control connection: the kernel's
 * word (SO_PEERCRED, SO_PEERPIDFD), never the client's. */
#pragma once
#include <sys/types.h>

#include "common/error.h"

/* 0 when the peer is this user in this user namespace; -EPERM (with the
 * reason in err) otherwise. */
int emp_peer_check(int fd, struct emp_error *err);
/* The pid a pidfd refers to, from its fdinfo ("Pid:\tN"); -1 if unknown. */
pid_t emp_pidfd_pid(int pidfd);
