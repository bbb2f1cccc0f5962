/* version: the release, one place. */
#ifndef SW_VERSION_H
#define SW_VERSION_H
#define SW_VERSION_STR "0.2.0"
#endif
