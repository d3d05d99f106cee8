/*
 * jni_md.h for the windows-x86_64 shim, cross-built with mingw-w64 on Linux. A JDK ships only the
 * jni_md.h of its own platform, so a Linux JDK cannot supply this one. It states the Windows JNI
 * ABI: exported entry points are __declspec(dllexport), jint is 32 bits (long is 32 bits on LLP64 Windows), jlong 64.
 */
#ifndef PVPATCH_WIN32_JNI_MD_H
#define PVPATCH_WIN32_JNI_MD_H

#ifndef _WIN32
#error "this jni_md.h is for Windows targets only"
#endif

#define JNIEXPORT __declspec(dllexport)
#define JNIIMPORT __declspec(dllimport)
/* Empty, as every JDK's own x86-64 headers have it: x86-64 Windows has one calling convention
 * (__stdcall is ignored there), and JDK 24+ jni.h defines JNICALL empty itself, so any other
 * definition here would be a redefinition. */
#define JNICALL

typedef long jint;
typedef long long jlong;
typedef signed char jbyte;

#endif
