/*
 * Runs a built shim without a JVM, to prove a cross-built shim works on its platform (under
 * qemu-user or wine): loads the library, finds its six JNI entry points by name, and calls them
 * through a minimal fake JNIEnv that implements just the functions the shim uses. Prints every
 * result as text; check-native-platforms.sh requires the same text from every platform's shim,
 * and this program itself checks a few decodes it knows the answer to.
 *
 *   shimcheck <path to libpvpatch_zydis.so or pvpatch_zydis.dll>
 */
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
static void *open_library(const char *path) { return (void *)LoadLibraryA(path); }
static void *find_symbol(void *lib, const char *name) { return (void *)GetProcAddress((HMODULE)lib, name); }
#else
#include <dlfcn.h>
static void *open_library(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static void *find_symbol(void *lib, const char *name) { return dlsym(lib, name); }
#endif

/* A Java array as the fake JNIEnv sees it: the handle points at this. */
typedef struct {
    jsize length;
    size_t element;
    void *data;
} fake_array;

static int failures;

static jarray new_array(jsize length, size_t element)
{
    fake_array *a = calloc(1, sizeof *a);
    a->length = length;
    a->element = element;
    a->data = calloc((size_t)length + 1, element);
    return (jarray)a;
}

static fake_array *unwrap(jarray array) { return (fake_array *)array; }

static jsize JNICALL get_array_length(JNIEnv *env, jarray array)
{
    (void)env;
    return unwrap(array)->length;
}

static void JNICALL get_byte_array_region(JNIEnv *env, jbyteArray array, jsize start, jsize len, jbyte *buf)
{
    (void)env;
    fake_array *a = unwrap(array);
    if (start < 0 || len < 0 || start + len > a->length) {
        printf("FAIL GetByteArrayRegion out of range start=%ld len=%ld length=%ld\n", (long)start, (long)len,
               (long)a->length);
        failures++;
        return;
    }
    memcpy(buf, (jbyte *)a->data + start, (size_t)len);
}

static void JNICALL set_long_array_region(JNIEnv *env, jlongArray array, jsize start, jsize len, const jlong *buf)
{
    (void)env;
    fake_array *a = unwrap(array);
    if (start < 0 || len < 0 || start + len > a->length) {
        printf("FAIL SetLongArrayRegion out of range\n");
        failures++;
        return;
    }
    memcpy((jlong *)a->data + start, buf, (size_t)len * sizeof(jlong));
}

static void *JNICALL get_critical(JNIEnv *env, jarray array, jboolean *is_copy)
{
    (void)env;
    if (is_copy) {
        *is_copy = JNI_FALSE;
    }
    return unwrap(array)->data;
}

static void JNICALL release_critical(JNIEnv *env, jarray array, void *data, jint mode)
{
    (void)env;
    (void)mode;
    if (data != unwrap(array)->data) {
        printf("FAIL ReleasePrimitiveArrayCritical with a foreign pointer\n");
        failures++;
    }
}

static jstring JNICALL new_string_utf(JNIEnv *env, const char *utf)
{
    (void)env;
    size_t n = strlen(utf) + 1;
    char *copy = malloc(n);
    memcpy(copy, utf, n);
    return (jstring)(void *)copy;
}

typedef jint(JNICALL *decode_one_fn)(JNIEnv *, jclass, jint, jbyteArray, jint, jint, jlong, jlongArray);
typedef jint(JNICALL *decode_all_fn)(JNIEnv *, jclass, jint, jbyteArray, jint, jint, jlong, jint, jintArray,
                                     jbyteArray, jshortArray, jbyteArray, jlongArray, jlongArray, jshortArray);
typedef jstring(JNICALL *format_fn)(JNIEnv *, jclass, jint, jint, jbyteArray, jint, jint, jlong);
typedef jstring(JNICALL *mnemonic_name_fn)(JNIEnv *, jclass, jint);
typedef jint(JNICALL *mnemonic_count_fn)(JNIEnv *, jclass);
typedef jlong(JNICALL *version_fn)(JNIEnv *, jclass);

/* FNV-1a, 64 bits, over a stream of values. */
static uint64_t fnv = 0xcbf29ce484222325u;
static void mix(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        fnv ^= (v >> (8 * i)) & 0xff;
        fnv *= 0x100000001b3u;
    }
}
static void mix_text(const char *s)
{
    for (; s && *s; s++) {
        fnv ^= (unsigned char)*s;
        fnv *= 0x100000001b3u;
    }
    mix(0);
}

static void print_hex(const char *label, uint64_t v)
{
    char digits[17];
    for (int i = 15; i >= 0; i--) {
        digits[i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    }
    digits[16] = '\0';
    printf("%s %s\n", label, digits);
}

static void *need(void *lib, const char *name)
{
    void *f = find_symbol(lib, name);
    if (!f) {
        printf("FAIL missing entry point %s\n", name);
        exit(2);
    }
    return f;
}

static jbyteArray bytes_of(const unsigned char *code, jsize n)
{
    jbyteArray a = (jbyteArray)new_array(n, 1);
    memcpy(unwrap(a)->data, code, (size_t)n);
    return a;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: shimcheck <shim>\n");
        return 2;
    }
    void *lib = open_library(argv[1]);
    if (!lib) {
        printf("FAIL cannot load %s\n", argv[1]);
        return 2;
    }
    decode_one_fn decode_one = (decode_one_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_decodeOne");
    decode_all_fn decode_all = (decode_all_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_decodeAll");
    format_fn format = (format_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_format");
    mnemonic_name_fn mnemonic_name =
        (mnemonic_name_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_mnemonicName");
    mnemonic_count_fn mnemonic_count =
        (mnemonic_count_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_mnemonicCount");
    version_fn version = (version_fn)need(lib, "Java_io_github_pvpatch_zydis_ZydisNative_version");

    struct JNINativeInterface_ functions;
    memset(&functions, 0, sizeof functions);
    functions.GetArrayLength = get_array_length;
    functions.GetByteArrayRegion = get_byte_array_region;
    functions.SetLongArrayRegion = set_long_array_region;
    functions.GetPrimitiveArrayCritical = get_critical;
    functions.ReleasePrimitiveArrayCritical = release_critical;
    functions.NewStringUTF = new_string_utf;
    const struct JNINativeInterface_ *env_value = &functions;
    JNIEnv *env = (JNIEnv *)&env_value;

    print_hex("version", (uint64_t)version(env, NULL));
    jint count = mnemonic_count(env, NULL);
    for (jint i = 0; i < count; i++) {
        mix_text((const char *)mnemonic_name(env, NULL, i));
    }
    printf("mnemonics %ld\n", (long)count);
    print_hex("mnemonic-names", fnv);

    /* Known answers: call rel32, a RIP-relative indirect call, push, a 32-bit call through memory. */
    static const struct {
        jint mode;
        unsigned char code[15];
        jsize n;
        jint length;
        const char *intel;
    } known[] = {
        {64, {0xe8, 0x10, 0x00, 0x00, 0x00}, 5, 5, "call 0x0000000000401015"},
        {64, {0xff, 0x15, 0x00, 0x10, 0x00, 0x00}, 6, 6, "call [0x0000000000402006]"},
        {64, {0x41, 0x57}, 2, 2, "push r15"},
        {32, {0xff, 0x15, 0x00, 0x00, 0x40, 0xc0}, 6, 6, "call [0xC0400000]"},
        {64, {0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, 5, "nop [rax+rax*1]"},
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        jbyteArray code = bytes_of(known[k].code, known[k].n);
        jlongArray out = (jlongArray)new_array(14, sizeof(jlong));
        jint rc = decode_one(env, NULL, known[k].mode, code, 0, known[k].n, 0x401000, out);
        jlong *v = unwrap(out)->data;
        const char *text = (const char *)format(env, NULL, known[k].mode, 0, code, 0, known[k].n, 0x401000);
        const char *att = (const char *)format(env, NULL, known[k].mode, 1, code, 0, known[k].n, 0x401000);
        printf("known %lu rc=%ld length=%ld intel=%s att=%s\n", (unsigned long)k, (long)rc, (long)v[0], text ? text : "-",
               att ? att : "-");
        for (int i = 0; i < 14; i++) {
            mix((uint64_t)v[i]);
        }
        if (rc != 0 || v[0] != known[k].length || !text || !strstr(text, known[k].intel)) {
            printf("FAIL known %lu: expected length=%ld intel=%s\n", (unsigned long)k, (long)known[k].length, known[k].intel);
            failures++;
        }
    }
    print_hex("known", fnv);

    /* Refusals: bad ranges and modes. */
    {
        unsigned char nop = 0x90;
        jbyteArray code = bytes_of(&nop, 1);
        jlongArray out = (jlongArray)new_array(14, sizeof(jlong));
        jint r1 = decode_one(env, NULL, 64, code, 1, 1, 0, out);
        jint r2 = decode_one(env, NULL, 16, code, 0, 1, 0, out);
        printf("refusals %ld %ld\n", (long)r1, (long)r2);
        if (r1 != -2 || r2 != -2) {
            printf("FAIL refusals\n");
            failures++;
        }
    }

    /* A batch sweep over 256 KiB of pseudo-random bytes, both modes, plus single decodes and text. */
    for (jint mode = 32; mode <= 64; mode += 32) {
        enum { SIZE = 256 * 1024, CAP = SIZE };
        uint64_t x = 0x9e3779b97f4a7c15u ^ (uint64_t)mode;
        jbyteArray code = (jbyteArray)new_array(SIZE, 1);
        unsigned char *bytes = unwrap(code)->data;
        for (int i = 0; i < SIZE; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes[i] = (unsigned char)x;
        }
        jintArray offsets = (jintArray)new_array(CAP, sizeof(jint));
        jbyteArray lengths = (jbyteArray)new_array(CAP, 1);
        jshortArray mnemonics = (jshortArray)new_array(CAP, sizeof(jshort));
        jbyteArray flags = (jbyteArray)new_array(CAP, 1);
        jlongArray targets = (jlongArray)new_array(CAP, sizeof(jlong));
        jlongArray mems = (jlongArray)new_array(CAP, sizeof(jlong));
        jshortArray written = (jshortArray)new_array(CAP, sizeof(jshort));
        jint n = decode_all(env, NULL, mode, code, 0, SIZE, 0xffffffff81000000LL, 0, offsets, lengths, mnemonics,
                            flags, targets, mems, written);
        fnv = 0xcbf29ce484222325u;
        int valid = 0;
        for (jint i = 0; i < n; i++) {
            mix((uint64_t)((jint *)unwrap(offsets)->data)[i]);
            mix((uint64_t)((jbyte *)unwrap(lengths)->data)[i]);
            mix((uint64_t)((jshort *)unwrap(mnemonics)->data)[i]);
            mix((uint64_t)((jbyte *)unwrap(flags)->data)[i]);
            mix((uint64_t)((jlong *)unwrap(targets)->data)[i]);
            mix((uint64_t)((jlong *)unwrap(mems)->data)[i]);
            mix((uint64_t)((jshort *)unwrap(written)->data)[i]);
            valid += ((jbyte *)unwrap(flags)->data)[i] & 1;
        }
        jlongArray out = (jlongArray)new_array(14, sizeof(jlong));
        for (jint at = 0; at < 4096; at += 7) {
            decode_one(env, NULL, mode, code, at, 15, 0x1000 + at, out);
            for (int i = 0; i < 14; i++) {
                mix((uint64_t)((jlong *)unwrap(out)->data)[i]);
            }
            mix_text((const char *)format(env, NULL, mode, at & 1, code, at, 15, 0x1000 + at));
        }
        printf("sweep mode=%ld entries=%ld valid=%d\n", (long)mode, (long)n, valid);
        print_hex("sweep", fnv);
        if (n < SIZE / 8 || valid < n / 2) {
            printf("FAIL sweep mode=%ld decoded too little\n", (long)mode);
            failures++;
        }
    }
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
