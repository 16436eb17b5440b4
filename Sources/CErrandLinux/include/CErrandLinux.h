// What Swift's Glibc module does not export and ErrandHTTP needs on Linux: epoll(7). The C compiler lays out
// `struct epoll_event` (packed on x86-64), so Swift code uses the real type instead of hand-kept offsets.
#ifndef ERRAND_C_LINUX_H
#define ERRAND_C_LINUX_H

#ifdef __linux__
#include <sys/epoll.h>
#endif

#endif
