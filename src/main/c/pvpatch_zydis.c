/*
 * JNI shim between io.github.pvpatch.zydis and the Zydis 4 decoder and formatter.
 *
 * Rules this file keeps:
 *  - Java checks every offset and length before calling in; the shim checks them again and
 *    never reads or writes outside the ranges it was given.
 *  - No global mutable state: decoders and formatters live on the stack of each call, so any
 *    number of threads may call at once.
 *  - Single-instruction calls copy at most ZYDIS_MAX_INSTRUCTION_LENGTH bytes with
 *    GetByteArrayRegion; the batch call pins its arrays with GetPrimitiveArrayCritical and calls
 *    nothing but Zydis while they are pinned.
 */
#include <jni.h>
#include <stdint.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "io_github_pvpatch_zydis_ZydisNative.h"

/* Layout of the long[] that decodeOne fills; mirrored by ZydisNative.java. */
enum {
    OUT_LENGTH = 0,
    OUT_MNEMONIC,
    OUT_FLAGS,
    OUT_BRANCH_TARGET,
    OUT_MEM_BASE,
    OUT_MEM_INDEX,
    OUT_MEM_SCALE,
    OUT_MEM_DISP,
    OUT_MEM_ADDRESS,
    OUT_WRITTEN,
    OUT_READ,
    OUT_DISP_OFFSET,
    OUT_IMM_OFFSET,
    OUT_IMM_SIZE,
    OUT_SIZE
};

/* Flag bits, shared by decodeOne and decodeAll. */
#define F_VALID 0x01
#define F_BRANCH 0x02      /* relative branch with a computed target */
#define F_MEMORY 0x04      /* has an explicit memory operand */
#define F_MEM_ADDRESS 0x08 /* the memory operand's absolute address is known (RIP-relative or absolute) */
#define F_RIP_RELATIVE 0x10
#define F_FAR 0x20         /* a far call, jump or return: it changes the code segment too */

#define REG_NONE (-1)
#define REG_IP 16
#define REG_OTHER 17

static int init_decoder(ZydisDecoder *decoder, jint mode)
{
    if (mode == 64) {
        return ZYAN_SUCCESS(ZydisDecoderInit(decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64));
    }
    if (mode == 32) {
        return ZYAN_SUCCESS(ZydisDecoderInit(decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32));
    }
    return 0;
}

/* General-purpose register number 0..15 of the register enclosing reg, REG_IP, REG_OTHER, or REG_NONE. */
static int gp_number(const ZydisDecodedInstruction *insn, ZydisRegister reg)
{
    if (reg == ZYDIS_REGISTER_NONE) {
        return REG_NONE;
    }
    if (reg == ZYDIS_REGISTER_RIP || reg == ZYDIS_REGISTER_EIP || reg == ZYDIS_REGISTER_IP) {
        return REG_IP;
    }
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(insn->machine_mode, reg);
    ZydisRegisterClass cls = ZydisRegisterGetClass(big);
    if (cls == ZYDIS_REGCLASS_GPR64 || cls == ZYDIS_REGCLASS_GPR32) {
        int id = ZydisRegisterGetId(big);
        return id >= 0 && id < 16 ? id : REG_OTHER;
    }
    return REG_OTHER;
}

typedef struct {
    jint flags;
    jlong branch_target;
    jint mem_base;
    jint mem_index;
    jint mem_scale;
    jlong mem_disp;
    jlong mem_address;
    jint written;
    jint read;
} summary;

/* Addresses of 32-bit code wrap at 4 GiB; Zydis 4.0 sign-extends some of them to 64 bits. */
static jlong to_address(const ZydisDecodedInstruction *insn, ZyanU64 value)
{
    return insn->machine_mode == ZYDIS_MACHINE_MODE_LONG_64 ? (jlong)value : (jlong)(value & 0xFFFFFFFFu);
}

static void summarize(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops, jlong address,
                      summary *s)
{
    memset(s, 0, sizeof *s);
    s->flags = F_VALID;
    if (insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
        s->flags |= F_FAR;
    }
    s->mem_base = REG_NONE;
    s->mem_index = REG_NONE;
    for (ZyanU8 i = 0; i < insn->operand_count && i < ZYDIS_MAX_OPERAND_COUNT; i++) {
        const ZydisDecodedOperand *op = &ops[i];
        if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
            int n = gp_number(insn, op->reg.value);
            if (n >= 0 && n < 16) {
                if (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) {
                    s->written |= 1 << n;
                }
                if (op->actions & ZYDIS_OPERAND_ACTION_MASK_READ) {
                    s->read |= 1 << n;
                }
            }
        } else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            int base = gp_number(insn, op->mem.base);
            int index = gp_number(insn, op->mem.index);
            if (base >= 0 && base < 16) {
                s->read |= 1 << base;
            }
            if (index >= 0 && index < 16) {
                s->read |= 1 << index;
            }
            /* Hidden memory operands (the stack slot of push, pop, call) are not "the" operand. */
            if (op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN || (s->flags & F_MEMORY)) {
                continue;
            }
            if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM && op->mem.type != ZYDIS_MEMOP_TYPE_AGEN) {
                continue;
            }
            s->flags |= F_MEMORY;
            s->mem_base = base;
            s->mem_index = index;
            s->mem_scale = op->mem.scale;
            s->mem_disp = op->mem.disp.value;
            if (base == REG_IP) {
                s->flags |= F_RIP_RELATIVE;
            }
            ZyanU64 abs = 0;
            if ((base == REG_IP || (base == REG_NONE && index == REG_NONE))
                && ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, op, (ZyanU64)address, &abs))) {
                s->flags |= F_MEM_ADDRESS;
                s->mem_address = to_address(insn, abs);
            }
        } else if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative) {
            ZyanU64 abs = 0;
            if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, op, (ZyanU64)address, &abs))) {
                s->flags |= F_BRANCH;
                s->branch_target = to_address(insn, abs);
            }
        }
    }
}

static int range_ok(JNIEnv *env, jbyteArray code, jint offset, jint length)
{
    if (code == NULL || offset < 0 || length < 0) {
        return 0;
    }
    jsize size = (*env)->GetArrayLength(env, code);
    return offset <= size && length <= size - offset;
}

JNIEXPORT jint JNICALL Java_io_github_pvpatch_zydis_ZydisNative_decodeOne(JNIEnv *env, jclass cls, jint mode,
    jbyteArray code, jint offset, jint length, jlong address, jlongArray out)
{
    (void)cls;
    if (!range_ok(env, code, offset, length) || out == NULL || (*env)->GetArrayLength(env, out) < OUT_SIZE) {
        return -2;
    }
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    jint n = length < ZYDIS_MAX_INSTRUCTION_LENGTH ? length : ZYDIS_MAX_INSTRUCTION_LENGTH;
    (*env)->GetByteArrayRegion(env, code, offset, n, (jbyte *)bytes);
    ZydisDecoder decoder;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!init_decoder(&decoder, mode)) {
        return -2;
    }
    if (n == 0 || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes, (ZyanUSize)n, &insn, ops))) {
        return -1;
    }
    summary s;
    summarize(&insn, ops, address, &s);
    jlong v[OUT_SIZE];
    v[OUT_LENGTH] = insn.length;
    v[OUT_MNEMONIC] = insn.mnemonic;
    v[OUT_FLAGS] = s.flags;
    v[OUT_BRANCH_TARGET] = s.branch_target;
    v[OUT_MEM_BASE] = s.mem_base;
    v[OUT_MEM_INDEX] = s.mem_index;
    v[OUT_MEM_SCALE] = s.mem_scale;
    v[OUT_MEM_DISP] = s.mem_disp;
    v[OUT_MEM_ADDRESS] = s.mem_address;
    v[OUT_WRITTEN] = s.written;
    v[OUT_READ] = s.read;
    v[OUT_DISP_OFFSET] = insn.raw.disp.size ? insn.raw.disp.offset : -1;
    /* The relative immediate, if any: a branch displacement to relocate. */
    v[OUT_IMM_OFFSET] = -1;
    v[OUT_IMM_SIZE] = 0;
    for (int i = 0; i < 2; i++) {
        if (insn.raw.imm[i].size && insn.raw.imm[i].is_relative) {
            v[OUT_IMM_OFFSET] = insn.raw.imm[i].offset;
            v[OUT_IMM_SIZE] = insn.raw.imm[i].size;
        }
    }
    if (insn.raw.disp.size && insn.raw.disp.size != 32) {
        v[OUT_DISP_OFFSET] = -1 - insn.raw.disp.offset; /* a disp8/16: not relocatable as disp32 */
    }
    (*env)->SetLongArrayRegion(env, out, 0, OUT_SIZE, v);
    return 0;
}

/*
 * Decodes code[offset, offset+length) into the output arrays from entry `first` on, until the
 * bytes or the arrays' capacity run out. Returns the new entry count, which Java compares with
 * the capacity to decide whether to grow the arrays and call again for the rest; a negative
 * number for arguments the shim refuses.
 */
JNIEXPORT jint JNICALL Java_io_github_pvpatch_zydis_ZydisNative_decodeAll(JNIEnv *env, jclass cls, jint mode,
    jbyteArray code, jint offset, jint length, jlong address, jint first, jintArray offsets, jbyteArray lengths,
    jshortArray mnemonics, jbyteArray flags, jlongArray targets, jlongArray memAddresses, jshortArray written)
{
    (void)cls;
    if (!range_ok(env, code, offset, length) || first < 0 || offsets == NULL || lengths == NULL
        || mnemonics == NULL || flags == NULL || targets == NULL || memAddresses == NULL || written == NULL) {
        return -2;
    }
    jsize capacity = (*env)->GetArrayLength(env, offsets);
    if ((*env)->GetArrayLength(env, lengths) != capacity || (*env)->GetArrayLength(env, mnemonics) != capacity
        || (*env)->GetArrayLength(env, flags) != capacity || (*env)->GetArrayLength(env, targets) != capacity
        || (*env)->GetArrayLength(env, memAddresses) != capacity || (*env)->GetArrayLength(env, written) != capacity
        || first > capacity) {
        return -2;
    }
    ZydisDecoder decoder;
    if (!init_decoder(&decoder, mode)) {
        return -2;
    }
    jint count = first;
    uint8_t *in = (*env)->GetPrimitiveArrayCritical(env, code, NULL);
    jint *o_off = (*env)->GetPrimitiveArrayCritical(env, offsets, NULL);
    jbyte *o_len = (*env)->GetPrimitiveArrayCritical(env, lengths, NULL);
    jshort *o_mn = (*env)->GetPrimitiveArrayCritical(env, mnemonics, NULL);
    jbyte *o_fl = (*env)->GetPrimitiveArrayCritical(env, flags, NULL);
    jlong *o_tg = (*env)->GetPrimitiveArrayCritical(env, targets, NULL);
    jlong *o_ma = (*env)->GetPrimitiveArrayCritical(env, memAddresses, NULL);
    jshort *o_wr = (*env)->GetPrimitiveArrayCritical(env, written, NULL);
    if (in && o_off && o_len && o_mn && o_fl && o_tg && o_ma && o_wr) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        jint at = 0;
        while (at < length && count < capacity) {
            o_off[count] = at;
            if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, in + offset + at, (ZyanUSize)(length - at), &insn, ops))) {
                summary s;
                summarize(&insn, ops, address + at, &s);
                o_len[count] = (jbyte)insn.length;
                o_mn[count] = (jshort)insn.mnemonic;
                o_fl[count] = (jbyte)s.flags;
                o_tg[count] = s.branch_target;
                o_ma[count] = s.mem_address;
                o_wr[count] = (jshort)s.written;
                at += insn.length;
            } else {
                /* Undecodable: one byte, marked invalid, and the sweep goes on. */
                o_len[count] = 1;
                o_mn[count] = 0;
                o_fl[count] = 0;
                o_tg[count] = 0;
                o_ma[count] = 0;
                o_wr[count] = 0;
                at += 1;
            }
            count++;
        }
    } else {
        count = -3;
    }
    /* Release in reverse order; outputs are copied back (mode 0), the input is not (JNI_ABORT). */
    if (o_wr) (*env)->ReleasePrimitiveArrayCritical(env, written, o_wr, 0);
    if (o_ma) (*env)->ReleasePrimitiveArrayCritical(env, memAddresses, o_ma, 0);
    if (o_tg) (*env)->ReleasePrimitiveArrayCritical(env, targets, o_tg, 0);
    if (o_fl) (*env)->ReleasePrimitiveArrayCritical(env, flags, o_fl, 0);
    if (o_mn) (*env)->ReleasePrimitiveArrayCritical(env, mnemonics, o_mn, 0);
    if (o_len) (*env)->ReleasePrimitiveArrayCritical(env, lengths, o_len, 0);
    if (o_off) (*env)->ReleasePrimitiveArrayCritical(env, offsets, o_off, 0);
    if (in) (*env)->ReleasePrimitiveArrayCritical(env, code, in, JNI_ABORT);
    return count;
}

/*
 * decodeAll for a few bytes (a patch site, a native op): the same sweep, with no array pinned.
 * At most SMALL_MAX bytes are copied in with GetByteArrayRegion and the entries go out packed,
 * SMALL_STRIDE longs each, with one SetLongArrayRegion: four JNI calls in all, where the pinning
 * batch call makes seventeen. Word 0 of an entry packs offset (bits 0-15), length (16-23), flags
 * (24-31), written registers (32-47) and mnemonic (48-63); word 1 is the branch target, word 2
 * the memory address. Returns the entry count, or -2 for arguments the shim refuses.
 */
#define SMALL_MAX 64
#define SMALL_STRIDE 3

/* The sweep of decodeSmall over in[0, length) (length <= SMALL_MAX), into o; returns the entry count. */
static jint sweep_small(const ZydisDecoder *decoder, const uint8_t *in, jint length, jlong address, jlong *o)
{
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    jint count = 0;
    jint at = 0;
    while (at < length) {
        jlong *e = &o[count * SMALL_STRIDE];
        if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder, in + at, (ZyanUSize)(length - at), &insn, ops))) {
            summary s;
            summarize(&insn, ops, address + at, &s);
            e[0] = (jlong)((uint64_t)(uint32_t)at | (uint64_t)insn.length << 16 | (uint64_t)(s.flags & 0xFF) << 24
                           | (uint64_t)(s.written & 0xFFFF) << 32 | (uint64_t)(insn.mnemonic & 0xFFFF) << 48);
            e[1] = s.branch_target;
            e[2] = s.mem_address;
            at += insn.length;
        } else {
            /* Undecodable: one byte, marked invalid, and the sweep goes on. */
            e[0] = (jlong)((uint64_t)(uint32_t)at | (uint64_t)1 << 16);
            e[1] = 0;
            e[2] = 0;
            at += 1;
        }
        count++;
    }
    return count;
}

JNIEXPORT jint JNICALL Java_io_github_pvpatch_zydis_ZydisNative_decodeSmall(JNIEnv *env, jclass cls, jint mode,
    jbyteArray code, jint offset, jint length, jlong address, jlongArray out)
{
    (void)cls;
    if (length > SMALL_MAX || !range_ok(env, code, offset, length) || out == NULL
        || (*env)->GetArrayLength(env, out) < (jsize)length * SMALL_STRIDE) {
        return -2;
    }
    ZydisDecoder decoder;
    if (!init_decoder(&decoder, mode)) {
        return -2;
    }
    uint8_t in[SMALL_MAX];
    jlong o[SMALL_MAX * SMALL_STRIDE];
    (*env)->GetByteArrayRegion(env, code, offset, length, (jbyte *)in);
    jint count = sweep_small(&decoder, in, length, address, o);
    (*env)->SetLongArrayRegion(env, out, 0, count * SMALL_STRIDE, o);
    return count;
}

/*
 * Two decodeSmall sweeps in one call (a patched site and the native code it must hold): the
 * second's entries follow the first's in `out`. Returns count1 | count2 << 16, or -2.
 */
JNIEXPORT jint JNICALL Java_io_github_pvpatch_zydis_ZydisNative_decodeSmallPair(JNIEnv *env, jclass cls, jint mode,
    jbyteArray code, jint offset, jint length, jlong address, jbyteArray code2, jint offset2, jint length2,
    jlong address2, jlongArray out)
{
    (void)cls;
    if (length > SMALL_MAX || length2 > SMALL_MAX || !range_ok(env, code, offset, length)
        || !range_ok(env, code2, offset2, length2) || out == NULL
        || (*env)->GetArrayLength(env, out) < (jsize)(length + length2) * SMALL_STRIDE) {
        return -2;
    }
    ZydisDecoder decoder;
    if (!init_decoder(&decoder, mode)) {
        return -2;
    }
    uint8_t in[SMALL_MAX];
    uint8_t in2[SMALL_MAX];
    jlong o[2 * SMALL_MAX * SMALL_STRIDE];
    (*env)->GetByteArrayRegion(env, code, offset, length, (jbyte *)in);
    (*env)->GetByteArrayRegion(env, code2, offset2, length2, (jbyte *)in2);
    jint count = sweep_small(&decoder, in, length, address, o);
    jint count2 = sweep_small(&decoder, in2, length2, address2, o + count * SMALL_STRIDE);
    (*env)->SetLongArrayRegion(env, out, 0, (count + count2) * SMALL_STRIDE, o);
    return count | count2 << 16;
}

JNIEXPORT jstring JNICALL Java_io_github_pvpatch_zydis_ZydisNative_format(JNIEnv *env, jclass cls, jint mode,
    jint att, jbyteArray code, jint offset, jint length, jlong address)
{
    (void)cls;
    if (!range_ok(env, code, offset, length)) {
        return NULL;
    }
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    jint n = length < ZYDIS_MAX_INSTRUCTION_LENGTH ? length : ZYDIS_MAX_INSTRUCTION_LENGTH;
    (*env)->GetByteArrayRegion(env, code, offset, n, (jbyte *)bytes);
    ZydisDecoder decoder;
    ZydisFormatter formatter;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    char text[256];
    if (n == 0 || !init_decoder(&decoder, mode)
        || !ZYAN_SUCCESS(ZydisFormatterInit(&formatter, att ? ZYDIS_FORMATTER_STYLE_ATT : ZYDIS_FORMATTER_STYLE_INTEL))
        || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes, (ZyanUSize)n, &insn, ops))
        || !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter, &insn, ops, insn.operand_count_visible,
                                                         text, sizeof text, (ZyanU64)address, ZYAN_NULL))) {
        return NULL;
    }
    text[sizeof text - 1] = '\0';
    return (*env)->NewStringUTF(env, text);
}

JNIEXPORT jstring JNICALL Java_io_github_pvpatch_zydis_ZydisNative_mnemonicName(JNIEnv *env, jclass cls, jint id)
{
    (void)cls;
    if (id < 0 || id > ZYDIS_MNEMONIC_MAX_VALUE) {
        return NULL;
    }
    const char *name = ZydisMnemonicGetString((ZydisMnemonic)id);
    return name ? (*env)->NewStringUTF(env, name) : NULL;
}

JNIEXPORT jint JNICALL Java_io_github_pvpatch_zydis_ZydisNative_mnemonicCount(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return ZYDIS_MNEMONIC_MAX_VALUE + 1;
}

JNIEXPORT jlong JNICALL Java_io_github_pvpatch_zydis_ZydisNative_version(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return (jlong)ZydisGetVersion();
}
