/*
 * pvexec: runs a patch site's original and patched bytes natively, from the same registers,
 * and reports what each run did, so a Java property can check that patching kept the meaning.
 *
 * Built twice by the test build: for x86-64 (-no-pie, so its stubs are within rel32 reach of
 * the code page) and for i386 (-m32). One process serves many cases over stdin/stdout.
 *
 * Memory, at fixed addresses that the handshake reports:
 *   CODE_BASE    a page the site is copied into, followed by `jmp exit_capture`
 *   TABLE_BASE   the ops table: slot k holds stub k, slot k's native code, the nop function, or 0
 *   NATIVE_BASE  slot k's native code plus `ret` at NATIVE_BASE + 32k; the nop function at the end
 *   STACK_BASE   the site's stack; every run starts with the stack pointer at STACK_START
 *
 * Stubs (the op implementations of call and jump slots) are assembly entry points that set an
 * "entered exactly here" flag, save every register, and run stub_body() on a private C stack:
 * it records the call (slot, register and stack arguments, entry flag), checks 16-byte stack
 * alignment at a call's entry on x86-64 (an aligned SSE store faults otherwise), computes a
 * return value from the arguments, and overwrites every register of the slot's clobber set with
 * a poison pattern.
 * A jump slot's stub records its entry state as the run's final state.
 *
 * A run that faults (SIGSEGV, SIGILL, SIGBUS, SIGTRAP, SIGFPE) or loops (a 1 s timer) is that
 * case's result, never the process's end. Every length and address read from the stream is
 * checked before use; a malformed stream ends the process with status 2 and a message.
 *
 * Stream (little-endian). Handshake, harness to Java:
 *   u32 'PVX1', u32 bits, u64 code_base, u32 code_size, u64 table_base, u64 stack_start,
 *   u32 stubs, u64 stub[stubs]
 * Then batches. Java to harness: u32 cases, then per case:
 *   u64 site, u8 len, u8 original[len], u8 patched[len], u64 regs[16],
 *   u8 slots, per slot: u8 kind, u16 clobbers, u8 returns, u8 stack_args, u8 native_len, u8 native[]
 * Harness to Java, per case, for the original run then the patched run:
 *   u8 status (0, or the signal), u64 regs[16], u8 caller_stack[CALLER_BYTES],
 *   u8 calls, per call: u8 slot, u8 entered, u8 stack_args, u64 args[6], u64 stack[4]
 * A batch of 0 cases ends the process.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#if defined(__x86_64__)
typedef uint64_t reg_t;
#define BITS 64
#define NREGS 16
#elif defined(__i386__)
typedef uint32_t reg_t;
#define BITS 32
#define NREGS 8
#else
#error "pvexec runs x86 code only"
#endif

#define CODE_BASE 0x10000000UL
#define CODE_SIZE 0x10000UL
#define TABLE_BASE 0x10100000UL
#define NATIVE_BASE 0x10200000UL
#define NATIVE_STRIDE 32
#define STACK_BASE 0x10300000UL
#define STACK_SIZE 0x10000UL
#define STACK_START (STACK_BASE + 0x8000UL)
#define CALLER_BYTES 128
#define SLOTS 16
#define MAX_CALLS 8
#define SP 4
#define RAX 0

enum { KIND_NONE = 0, KIND_NOP = 1, KIND_NATIVE = 2, KIND_CALL = 3, KIND_JUMP = 4 };

struct slot {
    uint8_t kind, returns, stack_args, native_len;
    uint16_t clobbers;
    uint8_t native[NATIVE_STRIDE];
};

struct call {
    uint8_t slot, entered, stack_args;
    uint64_t args[6], stack[4];
};

/* Shared with the assembly below; not static, so the assembler can name them. */
reg_t g_start[16], g_final[16], g_stub[16];
reg_t g_host_sp;
reg_t g_entry;
volatile uint32_t g_slot;
volatile uint8_t g_entered;
unsigned char g_cstack[1 << 16] __attribute__((aligned(64)));

static struct slot slots[SLOTS];
static struct call calls[MAX_CALLS];
static unsigned ncalls;
static sigjmp_buf g_jump;
static volatile sig_atomic_t g_signal;

extern char exit_capture[];
extern char stub_0[], stub_1[], stub_2[], stub_3[], stub_4[], stub_5[], stub_6[], stub_7[], stub_8[],
    stub_9[], stub_10[], stub_11[], stub_12[], stub_13[], stub_14[], stub_15[];
static char *const stubs[SLOTS] = {stub_0, stub_1, stub_2, stub_3, stub_4, stub_5, stub_6, stub_7, stub_8,
                                   stub_9, stub_10, stub_11, stub_12, stub_13, stub_14, stub_15};

#if BITS == 64
__asm__(
    ".text\n"
    /* Stores every general-purpose register, the stack pointer included, into a 16-slot block. */
    ".macro SAVE_ALL to\n"
    "  mov %rax, \\to+0(%rip)\n  mov %rcx, \\to+8(%rip)\n  mov %rdx, \\to+16(%rip)\n"
    "  mov %rbx, \\to+24(%rip)\n  mov %rsp, \\to+32(%rip)\n  mov %rbp, \\to+40(%rip)\n"
    "  mov %rsi, \\to+48(%rip)\n  mov %rdi, \\to+56(%rip)\n  mov %r8, \\to+64(%rip)\n"
    "  mov %r9, \\to+72(%rip)\n  mov %r10, \\to+80(%rip)\n  mov %r11, \\to+88(%rip)\n"
    "  mov %r12, \\to+96(%rip)\n  mov %r13, \\to+104(%rip)\n  mov %r14, \\to+112(%rip)\n"
    "  mov %r15, \\to+120(%rip)\n"
    ".endm\n"
    ".globl run_site\n"
    "run_site:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %rsp, g_host_sp(%rip)\n"
    "  mov g_start+0(%rip), %rax\n  mov g_start+8(%rip), %rcx\n  mov g_start+16(%rip), %rdx\n"
    "  mov g_start+24(%rip), %rbx\n  mov g_start+40(%rip), %rbp\n  mov g_start+48(%rip), %rsi\n"
    "  mov g_start+56(%rip), %rdi\n  mov g_start+64(%rip), %r8\n  mov g_start+72(%rip), %r9\n"
    "  mov g_start+80(%rip), %r10\n  mov g_start+88(%rip), %r11\n  mov g_start+96(%rip), %r12\n"
    "  mov g_start+104(%rip), %r13\n  mov g_start+112(%rip), %r14\n  mov g_start+120(%rip), %r15\n"
    "  mov g_start+32(%rip), %rsp\n"
    "  jmp *g_entry(%rip)\n"
    ".globl exit_capture\n"
    "exit_capture:\n"
    "  SAVE_ALL g_final\n"
    "back_to_host:\n"
    "  mov g_host_sp(%rip), %rsp\n"
    "  cld\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n"
    ".macro STUB n\n"
    "  .balign 32, 0xcc\n"
    "  .globl stub_\\n\n"
    "stub_\\n:\n"
    "  movb $1, g_entered(%rip)\n"      /* entered here, not a byte off */
    "  movl $\\n, g_slot(%rip)\n"
    "  jmp stub_common\n"
    ".endm\n"
    "STUB 0\nSTUB 1\nSTUB 2\nSTUB 3\nSTUB 4\nSTUB 5\nSTUB 6\nSTUB 7\n"
    "STUB 8\nSTUB 9\nSTUB 10\nSTUB 11\nSTUB 12\nSTUB 13\nSTUB 14\nSTUB 15\n"
    "  .balign 32, 0xcc\n"
    "stub_common:\n"
    "  SAVE_ALL g_stub\n"
    "  lea g_cstack+65536(%rip), %rsp\n"
    "  cld\n"
    "  call stub_body\n"
    "  test %eax, %eax\n"
    "  jnz back_to_host\n"
    "  mov g_stub+32(%rip), %rsp\n"
    "  mov g_stub+0(%rip), %rax\n  mov g_stub+8(%rip), %rcx\n  mov g_stub+16(%rip), %rdx\n"
    "  mov g_stub+24(%rip), %rbx\n  mov g_stub+40(%rip), %rbp\n  mov g_stub+48(%rip), %rsi\n"
    "  mov g_stub+56(%rip), %rdi\n  mov g_stub+64(%rip), %r8\n  mov g_stub+72(%rip), %r9\n"
    "  mov g_stub+80(%rip), %r10\n  mov g_stub+88(%rip), %r11\n  mov g_stub+96(%rip), %r12\n"
    "  mov g_stub+104(%rip), %r13\n  mov g_stub+112(%rip), %r14\n  mov g_stub+120(%rip), %r15\n"
    "  ret\n");
#else
__asm__(
    ".text\n"
    ".macro SAVE_ALL to\n"
    "  mov %eax, \\to+0\n  mov %ecx, \\to+4\n  mov %edx, \\to+8\n  mov %ebx, \\to+12\n"
    "  mov %esp, \\to+16\n  mov %ebp, \\to+20\n  mov %esi, \\to+24\n  mov %edi, \\to+28\n"
    ".endm\n"
    ".globl run_site\n"
    "run_site:\n"
    "  push %ebx; push %ebp; push %esi; push %edi\n"
    "  mov %esp, g_host_sp\n"
    "  mov g_start+0, %eax\n  mov g_start+4, %ecx\n  mov g_start+8, %edx\n  mov g_start+12, %ebx\n"
    "  mov g_start+20, %ebp\n  mov g_start+24, %esi\n  mov g_start+28, %edi\n"
    "  mov g_start+16, %esp\n"
    "  jmp *g_entry\n"
    ".globl exit_capture\n"
    "exit_capture:\n"
    "  SAVE_ALL g_final\n"
    "back_to_host:\n"
    "  mov g_host_sp, %esp\n"
    "  cld\n"
    "  pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "  ret\n"
    ".macro STUB n\n"
    "  .balign 32, 0xcc\n"
    "  .globl stub_\\n\n"
    "stub_\\n:\n"
    "  movb $1, g_entered\n"
    "  movl $\\n, g_slot\n"
    "  jmp stub_common\n"
    ".endm\n"
    "STUB 0\nSTUB 1\nSTUB 2\nSTUB 3\nSTUB 4\nSTUB 5\nSTUB 6\nSTUB 7\n"
    "STUB 8\nSTUB 9\nSTUB 10\nSTUB 11\nSTUB 12\nSTUB 13\nSTUB 14\nSTUB 15\n"
    "  .balign 32, 0xcc\n"
    "stub_common:\n"
    "  SAVE_ALL g_stub\n"
    "  mov $g_cstack+65536, %esp\n"
    "  cld\n"
    "  call stub_body\n"
    "  test %eax, %eax\n"
    "  jnz back_to_host\n"
    "  mov g_stub+16, %esp\n"
    "  mov g_stub+0, %eax\n  mov g_stub+4, %ecx\n  mov g_stub+8, %edx\n  mov g_stub+12, %ebx\n"
    "  mov g_stub+20, %ebp\n  mov g_stub+24, %esi\n  mov g_stub+28, %edi\n"
    "  ret\n");
#endif

void run_site_c(void) __asm__("run_site");

static int in_stack(reg_t address, size_t bytes)
{
    return address >= STACK_BASE && address <= STACK_BASE + STACK_SIZE - bytes;
}

/* Called by stub_common on the private stack; returns 1 when the run ends here (a jump op). */
int stub_body(void) __attribute__((used));
int stub_body(void)
{
    unsigned slot = g_slot & (SLOTS - 1);
    const struct slot *s = &slots[slot];
    uint64_t mix = 0x9E3779B97F4A7C15ULL * (slot + 1);
    if (ncalls < MAX_CALLS) {
        struct call *c = &calls[ncalls];
        memset(c, 0, sizeof *c);
        c->slot = (uint8_t)slot;
        c->entered = g_entered;
        c->stack_args = s->stack_args;
#if BITS == 64
        static const int arg_regs[6] = {7, 6, 2, 1, 8, 9}; /* rdi rsi rdx rcx r8 r9 */
        for (int i = 0; i < 6; i++) {
            c->args[i] = g_stub[arg_regs[i]];
        }
#else
        static const int arg_regs[3] = {0, 2, 1}; /* regparm(3): eax edx ecx */
        for (int i = 0; i < 3; i++) {
            c->args[i] = g_stub[arg_regs[i]];
        }
#endif
        /* Stack arguments sit just above the return address (a jump op has none pushed). */
        reg_t first = g_stub[SP] + (s->kind == KIND_JUMP ? 0 : sizeof(reg_t));
        for (int i = 0; i < s->stack_args && i < 4; i++) {
            reg_t at = first + (reg_t)i * sizeof(reg_t);
            c->stack[i] = in_stack(at, sizeof(reg_t)) ? *(const reg_t *)at : 0xBADBADBADULL;
        }
        for (int i = 0; i < 6; i++) {
            mix = (mix ^ c->args[i]) * 0x100000001B3ULL;
        }
    }
    ncalls++;
    g_entered = 0;
#if BITS == 64
    /* An aligned SSE store below the entry stack pointer faults unless the call left it at
     * 8 mod 16, i.e. the stack was 16-byte aligned at the call, as the SysV ABI requires. */
    if (s->kind != KIND_JUMP && in_stack(g_stub[SP] - 24, 16)) {
        __asm__ volatile("movaps %%xmm0, (%0)" : : "r"(g_stub[SP] - 24) : "memory");
    }
#endif
    if (s->kind == KIND_JUMP) {
        memcpy(g_final, g_stub, sizeof g_final);
        return 1;
    }
    for (int r = 0; r < NREGS; r++) {
        if (r == SP || !(s->clobbers & (1u << r))) {
            continue;
        }
        g_stub[r] = (r == RAX && s->returns) ? (reg_t)mix : (reg_t)(0xDEADBEEF00000000ULL | 0xC0DE0000u | (unsigned)r);
    }
    return 0;
}

static void on_signal(int sig, siginfo_t *info, void *context)
{
    (void)info;
    (void)context;
    g_signal = sig;
    siglongjmp(g_jump, 1);
}

#define PV_NAME "pvexec"
#include "pvpipe.h"

static void *map_at(unsigned long address, size_t size, int prot)
{
    void *p = mmap((void *)address, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)address) {
        die("cannot map the fixed regions (address space taken?)");
    }
    return p;
}

/* One run of `code` at `site`; returns 0 or the signal that ended it. */
static int run(reg_t site, const uint8_t *code, unsigned len, const reg_t *regs)
{
    uint8_t *page = (uint8_t *)CODE_BASE;
    size_t at = site - CODE_BASE;
    /* int3 around the site, so a stray jump out of it traps (main checked the room). */
    memset(page + at - 64, 0xCC, 64 + len + 5 + 64);
    memcpy(page + at, code, len);
    uint8_t *jump = page + at + len;
    int32_t rel = (int32_t)((reg_t)(uintptr_t)exit_capture - ((reg_t)site + len + 5));
    jump[0] = 0xE9;
    memcpy(jump + 1, &rel, 4);

    /* The caller's frame above the start: stack arguments and a pattern; below it, a pattern too. */
    for (reg_t a = STACK_START - 0x400; a < STACK_START + CALLER_BYTES; a += sizeof(reg_t)) {
        *(reg_t *)a = (reg_t)(0x5A5A5A5A5A000000ULL | (a - STACK_BASE));
    }
    memcpy(g_start, regs, sizeof g_start);
    g_start[SP] = STACK_START;
    g_entry = site;
    memset(g_final, 0, sizeof g_final);
    ncalls = 0;
    g_entered = 0;
    g_signal = 0;
    struct itimerval limit = {{0, 0}, {1, 0}}, off = {{0, 0}, {0, 0}};
    if (sigsetjmp(g_jump, 1) == 0) {
        setitimer(ITIMER_REAL, &limit, NULL);
        run_site_c();
    }
    setitimer(ITIMER_REAL, &off, NULL);
    return g_signal;
}

static void report(int status)
{
    write_u((uint64_t)status, 1);
    for (int r = 0; r < 16; r++) {
        write_u(r < NREGS ? (uint64_t)g_final[r] : 0, 8);
    }
    fwrite((const void *)STACK_START, 1, CALLER_BYTES, stdout);
    unsigned n = ncalls < MAX_CALLS ? ncalls : MAX_CALLS;
    write_u(ncalls > 255 ? 255 : ncalls, 1);
    for (unsigned i = 0; i < n; i++) {
        write_u(calls[i].slot, 1);
        write_u(calls[i].entered, 1);
        write_u(calls[i].stack_args, 1);
        for (int k = 0; k < 6; k++) {
            write_u(calls[i].args[k], 8);
        }
        for (int k = 0; k < 4; k++) {
            write_u(calls[i].stack[k], 8);
        }
    }
}

int main(void)
{
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int sigs[] = {SIGSEGV, SIGILL, SIGBUS, SIGTRAP, SIGFPE, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    map_at(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    reg_t *table = map_at(TABLE_BASE, 0x1000, PROT_READ | PROT_WRITE);
    uint8_t *natives = map_at(NATIVE_BASE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
    map_at(STACK_BASE, STACK_SIZE, PROT_READ | PROT_WRITE);
    uint8_t *nop_function = natives + SLOTS * NATIVE_STRIDE;
    nop_function[0] = 0xC3;

    write_u(0x31585650, 4); /* "PVX1" */
    write_u(BITS, 4);
    write_u(CODE_BASE, 8);
    write_u(CODE_SIZE, 4);
    write_u(TABLE_BASE, 8);
    write_u(STACK_START, 8);
    write_u(SLOTS, 4);
    for (int i = 0; i < SLOTS; i++) {
        write_u((uint64_t)(uintptr_t)stubs[i], 8);
    }
    fflush(stdout);

    for (;;) {
        uint32_t cases = (uint32_t)read_u(4);
        if (cases == 0) {
            return 0;
        }
        for (uint32_t c = 0; c < cases; c++) {
            uint64_t site = read_u(8);
            unsigned len = (unsigned)read_u(1);
            uint8_t original[256], patched[256];
            read_exact(original, len);
            read_exact(patched, len);
            reg_t regs[16];
            for (int r = 0; r < 16; r++) {
                regs[r] = (reg_t)read_u(8);
            }
            unsigned nslots = (unsigned)read_u(1);
            if (nslots > SLOTS) {
                die("too many slots");
            }
            if (len == 0 || site < CODE_BASE + 64 || site + len + 5 + 64 > CODE_BASE + CODE_SIZE) {
                die("site outside the code page");
            }
            memset(table, 0, SLOTS * sizeof(reg_t));
            memset(slots, 0, sizeof slots);
            for (unsigned k = 0; k < nslots; k++) {
                struct slot *s = &slots[k];
                s->kind = (uint8_t)read_u(1);
                s->clobbers = (uint16_t)read_u(2);
                s->returns = (uint8_t)read_u(1);
                s->stack_args = (uint8_t)read_u(1);
                s->native_len = (uint8_t)read_u(1);
                if (s->native_len >= NATIVE_STRIDE || s->stack_args > 4 || s->kind > KIND_JUMP) {
                    die("bad slot");
                }
                read_exact(s->native, s->native_len);
                uint8_t *impl = natives + k * NATIVE_STRIDE;
                memset(impl, 0xCC, NATIVE_STRIDE);
                switch (s->kind) {
                case KIND_NOP:
                    table[k] = (reg_t)(uintptr_t)nop_function;
                    break;
                case KIND_NATIVE:
                    memcpy(impl, s->native, s->native_len);
                    impl[s->native_len] = 0xC3;
                    table[k] = (reg_t)(uintptr_t)impl;
                    break;
                case KIND_CALL:
                case KIND_JUMP:
                    table[k] = (reg_t)(uintptr_t)stubs[k];
                    break;
                default:
                    break;
                }
            }
            report(run((reg_t)site, original, len, regs));
            report(run((reg_t)site, patched, len, regs));
        }
        fflush(stdout);
    }
}
