/*
 * pvlive: runs patch sites on worker threads while another thread patches, re-patches and
 * reverts them through the live write plans pvpatch computed, and counts what the workers saw.
 *
 * Built like pvexec (src/build/build-harness.sh): x86-64 -no-pie, so the stubs are within rel32
 * reach of the code page, and i386 with -m32. One process runs one scenario, for one ISA.
 *
 * Memory, at fixed addresses the handshake reports:
 *   CODE_BASE   the page the sites live in; each site is followed by `ret`, gaps hold int3
 *   TABLE_BASE  the ops table the unpatched sites call through
 * Stubs (in this binary): stub_a computes ax = di, stub_b computes it another way (lea), each
 * counts itself in the caller's record (pointed to by si); stub_nop does nothing.
 *
 * Workers call every site in turn through probe(), which sets di (the argument), ax (a
 * sentinel: NOT di), si (the thread's record) and canaries in every callee-saved register, and
 * reports what came back. A run is wrong when ax is not what the site's op computes (di for
 * call and native sites, the sentinel for NOP sites), a canary changed, or the stubs were called
 * other than once (call sites), never (NOP sites) or at most once (native sites). A run that
 * faults (SIGSEGV, SIGILL, SIGBUS, SIGFPE, or an int3 no plan owns) is a fault; the worker
 * recovers and goes on.
 *
 * The patcher thread carries out the plans' steps: writes byte by byte (the plan must be right
 * at any granularity), syncs with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE). That
 * makes every thread of the process that is running execute a core-serializing instruction
 * before the call returns, and one that is not running do so before it returns to user space,
 * which is what the SDM's cross-modifying-code rule asks of the executing CPUs. Kernels before
 * 4.16 lack it; then (or with flag FORCE_FALLBACK) the sync changes the protection of a spare page,
 * whose TLB shootdown interrupts every CPU that runs the process: the return from that interrupt
 * is an IRET, which serializes (HotSpot's FlushProcessWriteBuffers uses the same effect for
 * memory ordering). That is weaker in one corner - a thread descheduled at the time is not
 * interrupted, and returns to user space through the scheduler - so the fallback is best effort.
 * A quiescent plan is carried out with every worker parked at the top of its loop.
 *
 * The SIGTRAP handler is the trap resolver's host side: the current plan's table says, for the
 * int3's address, emulate a call (push the return address, go to the target), a jump, skip to an
 * address, or retry (wait until the plan is done, resume at the int3). An int3 no table owns is
 * resumed when its byte is no longer int3 (a trap from a plan that has finished), else a fault.
 *
 * Stream (little-endian). Handshake, harness to Java:
 *   u32 'PVL1', u32 bits, u64 code_base, u32 code_size, u64 table_base, u64 stub_a, u64 stub_b,
 *   u64 stub_nop
 * Java to harness:
 *   u32 workers, u32 min_plans, u64 min_execs, u32 max_ms, u32 flags (1 = force the fallback
 *   sync, 2 = stop at the first 16 faults or wrong runs), u32 stub_pauses (how long each call
 *   stays in its stub: 0 for the real run, more for the teeth, which need calls in progress)
 *   u32 slots, u64 slot[slots]                 (the ops table)
 *   u32 sites, per site: u64 address, u8 len, u8 semantics (0 call, 1 nop, 2 native), u8 bytes[len]
 *   u32 plans, u32 cycle_start, per plan:
 *     u8 quiescent, u32 steps, per step: u8 sync, u64 address, u8 len, u8 bytes[len]
 *     u32 traps, per trap: u64 address, u8 action (1 call, 2 jump, 3 skip, 4 retry), u64 target, u64 ret
 * Plans [0, cycle_start) run once, then [cycle_start, plans) repeat until the run has made
 * min_plans live plans and min_execs executions, or max_ms passed.
 * Result on stdout: for each worker that faulted, a line on its first fault (kind is the signal,
 * int3-outside, int3-unowned or hung; plan is the index of the plan being carried out, started
 * how many plans had begun; bytes are the site's 16 bytes when the fault was handled):
 *   fault worker=N kind=K ip=0x.. sp=0x.. site=0x.. plan=P started=S bytes=hex
 * then one line:
 *   live bits=B threads=T execs=E plans=P quiescent=Q faults=F wrong=W traps=X emulated=M retried=R
 *   late=L sync=membarrier|mprotect ms=S
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* From <linux/membarrier.h> (Linux 4.16), spelled out: i386 builds may lack the kernel headers. */
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)
#if defined(__x86_64__)
#define NR_MEMBARRIER 324
#else
#define NR_MEMBARRIER 375
#endif

#if defined(__x86_64__)
typedef uint64_t reg_t;
#define BITS 64
#define REG_IP REG_RIP
#define REG_SPX REG_RSP
#elif defined(__i386__)
typedef uint32_t reg_t;
#define BITS 32
#define REG_IP REG_EIP
#define REG_SPX REG_ESP
#else
#error "pvlive runs x86 code only"
#endif

#define CODE_BASE 0x10000000UL
#define CODE_SIZE 0x10000UL
#define TABLE_BASE 0x10100000UL
#define SPARE_BASE 0x10200000UL
#define MAX_WORKERS 8
#define MAX_SITES 64
#define MAX_PLANS 64
#define MAX_STEPS 512
#define MAX_TRAPS 64
#define FORCE_FALLBACK 1
#define STOP_EARLY 2

enum { SEM_CALL = 0, SEM_NOP = 1, SEM_NATIVE = 2 };
enum { ACT_CALL = 1, ACT_JUMP = 2, ACT_SKIP = 3, ACT_RETRY = 4 };

struct site {
    reg_t address;
    unsigned len, semantics;
};

struct step {
    int sync;
    reg_t address;
    unsigned len;
    uint8_t bytes[256];
};

struct trap {
    reg_t address, target, ret;
    int action;
};

struct plan {
    int quiescent;
    unsigned nsteps, ntraps;
    struct step *steps;
    struct trap traps[MAX_TRAPS];
};

/* What a worker saw; each worker writes its own, the main thread sums them at the end. */
struct record {
    reg_t stub_a, stub_b; /* counted by the stubs, through si */
    uint64_t execs, faults, wrong, traps, emulated, retried, late;
    sigjmp_buf recover;
    int in_run;
    const struct site *running; /* the site this worker is in */
    /* The first fault this worker saw, for the report. */
    int first_kind;             /* 0 none, else a FAULT_ value or the signal number */
    reg_t first_ip, first_sp;
    unsigned first_plan;
    uint64_t first_started;
    const struct site *first_site;
    uint8_t first_bytes[16];
} __attribute__((aligned(128)));

/* Faults that are not a signal from the CPU (signal numbers are below 64). */
#define FAULT_INT3_OUTSIDE 100 /* an int3 outside the code page or outside a site run */
#define FAULT_INT3_UNOWNED 101 /* an int3 in the code page no plan owns */

static struct site sites[MAX_SITES];
static unsigned nsites;
static struct plan plans[MAX_PLANS];
static unsigned nplans, cycle_start;
static struct record records[MAX_WORKERS];
static unsigned workers;
static uint64_t min_execs;
static unsigned min_plans, max_ms, flags;
static int use_membarrier;

/* Read by the stubs; not static, so the assembler can name it. */
volatile uint32_t stub_pauses;
static volatile struct plan *current_plan; /* the plan whose traps the handler answers */
static volatile uint64_t plans_done;       /* bumped after a plan's last sync */
static volatile unsigned running_plan;     /* index of the plan being carried out, for reports */
static volatile uint64_t plans_started;    /* plans begun, live and quiescent, for reports */
static volatile int stop_workers, park_request;
static volatile int parked;
static __thread struct record *self;

extern char stub_a[], stub_b[], stub_nop[];

/* probe(entry, x, record): returns ax, and in *bad whether a canary changed. */
#if BITS == 64
reg_t probe(reg_t entry, reg_t x, struct record *rec, reg_t *bad);
__asm__(
    ".text\n"
    ".globl stub_a\nstub_a:\n  mov %rdi, %rax\n  incq 0(%rsi)\n  jmp stub_delay\n"
    ".globl stub_b\nstub_b:\n  lea (%rdi), %rax\n  incq 8(%rsi)\n  jmp stub_delay\n"
    /* Spins stub_pauses times before returning, keeping everything but rax: a wider window
     * in which a call is in progress, for the teeth. */
    "stub_delay:\n  push %rcx\n  mov stub_pauses(%rip), %ecx\n"
    "1:\n  test %ecx, %ecx\n  jz 2f\n  pause\n  dec %ecx\n  jmp 1b\n"
    "2:\n  pop %rcx\n  ret\n"
    ".globl stub_nop\nstub_nop:\n  ret\n"
    ".globl probe\nprobe:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  push %rcx\n"                            /* bad, kept across the call; aligns the stack */
    "  mov %rdi, %r11\n  mov %rsi, %rdi\n  mov %rdx, %rsi\n"
    "  mov %rdi, %rax\n  not %rax\n"
    "  movabs $0x5b5b5b5b5b5b5b5b, %rbx\n  movabs $0x6b6b6b6b6b6b6b6b, %rbp\n"
    "  movabs $0x7c7c7c7c7c7c7c7c, %r12\n  movabs $0x8d8d8d8d8d8d8d8d, %r13\n"
    "  movabs $0x9e9e9e9e9e9e9e9e, %r14\n  movabs $0xafafafafafafafaf, %r15\n"
    "  call *%r11\n"
    "  xor %ecx, %ecx\n  xor %r11d, %r11d\n"
    "  movabs $0x5b5b5b5b5b5b5b5b, %rdx\n  cmp %rdx, %rbx\n  setne %cl\n  or %rcx, %r11\n"
    "  movabs $0x6b6b6b6b6b6b6b6b, %rdx\n  cmp %rdx, %rbp\n  setne %cl\n  or %rcx, %r11\n"
    "  movabs $0x7c7c7c7c7c7c7c7c, %rdx\n  cmp %rdx, %r12\n  setne %cl\n  or %rcx, %r11\n"
    "  movabs $0x8d8d8d8d8d8d8d8d, %rdx\n  cmp %rdx, %r13\n  setne %cl\n  or %rcx, %r11\n"
    "  movabs $0x9e9e9e9e9e9e9e9e, %rdx\n  cmp %rdx, %r14\n  setne %cl\n  or %rcx, %r11\n"
    "  movabs $0xafafafafafafafaf, %rdx\n  cmp %rdx, %r15\n  setne %cl\n  or %rcx, %r11\n"
    "  pop %rcx\n  mov %r11, (%rcx)\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");
#else
reg_t probe(reg_t entry, reg_t x, struct record *rec, reg_t *bad);
__asm__(
    ".text\n"
    ".globl stub_a\nstub_a:\n  mov %edi, %eax\n  incl 0(%esi)\n  jmp stub_delay\n"
    ".globl stub_b\nstub_b:\n  lea (%edi), %eax\n  incl 4(%esi)\n  jmp stub_delay\n"
    "stub_delay:\n  push %ecx\n  mov stub_pauses, %ecx\n"
    "1:\n  test %ecx, %ecx\n  jz 2f\n  pause\n  dec %ecx\n  jmp 1b\n"
    "2:\n  pop %ecx\n  ret\n"
    ".globl stub_nop\nstub_nop:\n  ret\n"
    ".globl probe\nprobe:\n"
    "  push %ebx; push %ebp; push %esi; push %edi\n"  /* args now at 20(%esp) */
    "  mov 20(%esp), %ecx\n  mov 24(%esp), %edi\n  mov 28(%esp), %esi\n"
    "  mov %edi, %eax\n  not %eax\n"
    "  mov $0x5b5b5b5b, %ebx\n  mov $0x6b6b6b6b, %ebp\n"
    "  call *%ecx\n"
    "  xor %ecx, %ecx\n  xor %edx, %edx\n"
    "  cmp $0x5b5b5b5b, %ebx\n  setne %dl\n  or %edx, %ecx\n"
    "  cmp $0x6b6b6b6b, %ebp\n  setne %dl\n  or %edx, %ecx\n"
    "  cmp 24(%esp), %edi\n  setne %dl\n  or %edx, %ecx\n"
    "  cmp 28(%esp), %esi\n  setne %dl\n  or %edx, %ecx\n"
    "  mov 32(%esp), %edx\n  mov %ecx, (%edx)\n"
    "  pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "  ret\n");
#endif

#define PV_NAME "pvlive"
#include "pvpipe.h"

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int in_code(reg_t address, unsigned len)
{
    return address >= CODE_BASE && address + len <= CODE_BASE + CODE_SIZE;
}

/* Every running thread of the process serializes before this returns. */
static void sync_cores(void)
{
    if (use_membarrier) {
        if (syscall(NR_MEMBARRIER, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) != 0) {
            die("membarrier failed after registering");
        }
        return;
    }
    /* Fallback: a protection downgrade shoots down TLBs on every CPU running the process. */
    if (mprotect((void *)SPARE_BASE, 4096, PROT_READ) != 0 || mprotect((void *)SPARE_BASE, 4096, PROT_READ | PROT_WRITE)) {
        die("mprotect failed");
    }
    *(volatile char *)SPARE_BASE = 1; /* touch it, so the next downgrade has a mapping to shoot down */
}

static void write_step(const struct step *s)
{
    volatile uint8_t *to = (volatile uint8_t *)(uintptr_t)s->address;
    for (unsigned i = 0; i < s->len; i++) {
        to[i] = s->bytes[i];
    }
}

static const struct trap *find_trap(const struct plan *p, reg_t address)
{
    if (!p) {
        return NULL;
    }
    for (unsigned i = 0; i < p->ntraps; i++) {
        if (p->traps[i].address == address) {
            return &p->traps[i];
        }
    }
    return NULL;
}

static void fault(int kind, const greg_t *g)
{
    if (self && self->in_run) {
        if (!self->first_kind) {
            self->first_kind = kind;
            self->first_ip = (reg_t)g[REG_IP];
            self->first_sp = (reg_t)g[REG_SPX];
            self->first_plan = running_plan;
            self->first_started = plans_started;
            self->first_site = self->running;
            if (self->running) {
                memcpy(self->first_bytes, (const void *)(uintptr_t)self->running->address, 16);
            }
        }
        self->faults++;
        self->in_run = 0;
        siglongjmp(self->recover, 1);
    }
    die("a fault outside a site run");
}

static void on_trap(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)info;
    ucontext_t *uc = context;
    greg_t *g = uc->uc_mcontext.gregs;
    reg_t at = (reg_t)g[REG_IP] - 1;
    if (!self || !self->in_run || !in_code(at, 1)) {
        fault(FAULT_INT3_OUTSIDE, g);
    }
    self->traps++;
    uint64_t done = plans_done;
    const struct trap *t = NULL;
    for (int tries = 0; !t; tries++) {
        /* The byte first: the patcher publishes a plan before writing its int3 (x86 keeps both
         * orders), so an int3 seen here belongs to the plan read next, or to one that finished. */
        uint8_t byte = *(volatile uint8_t *)(uintptr_t)at;
        t = find_trap((const struct plan *)current_plan, at);
        if (t) {
            break;
        }
        if (byte != 0xCC) {
            self->late++; /* an int3 a finished plan wrote: it is gone, run what is there now */
            g[REG_IP] = (greg_t)at;
            return;
        }
        if (tries == 1000) {
            fault(FAULT_INT3_UNOWNED, g); /* an int3 no plan owns */
        }
        sched_yield();
    }
    switch (t->action) {
    case ACT_CALL: {
        reg_t sp = (reg_t)g[REG_SPX] - sizeof(reg_t);
        *(reg_t *)(uintptr_t)sp = t->ret;
        g[REG_SPX] = (greg_t)sp;
        g[REG_IP] = (greg_t)t->target;
        self->emulated++;
        return;
    }
    case ACT_JUMP:
        g[REG_IP] = (greg_t)t->target;
        self->emulated++;
        return;
    case ACT_SKIP:
        g[REG_IP] = (greg_t)t->target;
        self->emulated++;
        return;
    default:
        /* Wait until the plan is done (or the int3 is gone), then run the new bytes. */
        while (plans_done == done && *(volatile uint8_t *)(uintptr_t)at == 0xCC) {
            sched_yield();
        }
        g[REG_IP] = (greg_t)at;
        self->retried++;
        return;
    }
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    (void)info;
    ucontext_t *uc = context;
    fault(sig, uc->uc_mcontext.gregs);
}

static void *worker(void *arg)
{
    struct record *r = arg;
    self = r;
    /* Handlers run on their own stack: an emulated call pushes just below the interrupted stack
     * pointer, where i386 (which has no red zone) would otherwise have the signal frame. */
    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0};
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0) {
        die("sigaltstack failed");
    }
    volatile reg_t x = (reg_t)(0x1234567890ABCDEFULL ^ (uintptr_t)arg);
    if (sigsetjmp(r->recover, 0)) {
        /* A fault ended the run: counted; go on with the next one. */
    }
    while (!stop_workers) {
        if (park_request) {
            __atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
            while (park_request) {
                sched_yield();
            }
            __atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
        }
        for (unsigned i = 0; i < nsites; i++) {
            const struct site *s = &sites[i];
            reg_t bad = 0;
            reg_t calls_before = r->stub_a + r->stub_b;
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            r->running = s;
            r->in_run = 1;
            reg_t ax = probe(s->address, x, r, &bad);
            r->in_run = 0;
            reg_t calls = r->stub_a + r->stub_b - calls_before;
            int ok = !bad;
            switch (s->semantics) {
            case SEM_CALL:
                ok = ok && ax == x && calls == 1;
                break;
            case SEM_NOP:
                ok = ok && ax == (reg_t)~x && calls == 0;
                break;
            default:
                ok = ok && ax == x && calls <= 1;
                break;
            }
            r->execs++;
            if (!ok) {
                r->wrong++;
            }
        }
    }
    return NULL;
}

static uint64_t total(size_t field)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < workers; i++) {
        n += *(uint64_t *)((char *)&records[i] + field);
    }
    return n;
}

static void run_plan(struct plan *p)
{
    running_plan = (unsigned)(p - plans);
    plans_started++;
    if (p->quiescent) {
        /* Stop the world: every worker parked at the top of its loop, outside every site. */
        park_request = 1;
        while (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) != (int)workers) {
            sched_yield();
        }
        for (unsigned i = 0; i < p->nsteps; i++) {
            if (p->steps[i].sync) {
                sync_cores();
            } else {
                write_step(&p->steps[i]);
            }
        }
        park_request = 0;
        return;
    }
    current_plan = p;
    for (unsigned i = 0; i < p->nsteps; i++) {
        if (p->steps[i].sync) {
            sync_cores();
        } else {
            write_step(&p->steps[i]);
        }
    }
    plans_done++;
}

/* One line on the first fault a worker saw: what, where, during which plan, the site's bytes then. */
static void report_fault(unsigned worker, const struct record *r)
{
    char kind[32];
    const char *name = r->first_kind == FAULT_INT3_OUTSIDE ? "int3-outside"
                       : r->first_kind == FAULT_INT3_UNOWNED ? "int3-unowned"
                       : r->first_kind == SIGSEGV ? "SIGSEGV"
                       : r->first_kind == SIGILL ? "SIGILL"
                       : r->first_kind == SIGBUS ? "SIGBUS"
                       : r->first_kind == SIGFPE ? "SIGFPE"
                       : NULL;
    if (name) {
        snprintf(kind, sizeof kind, "%s", name);
    } else {
        snprintf(kind, sizeof kind, "signal%d", r->first_kind);
    }
    printf("fault worker=%u kind=%s ip=0x%llx sp=0x%llx site=0x%llx plan=%u started=%llu bytes=", worker, kind,
           (unsigned long long)r->first_ip, (unsigned long long)r->first_sp,
           (unsigned long long)(r->first_site ? r->first_site->address : 0), r->first_plan,
           (unsigned long long)r->first_started);
    for (int k = 0; k < 16; k++) {
        printf("%02x", r->first_bytes[k]);
    }
    printf("\n");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    void *code = mmap((void *)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    reg_t *table = mmap((void *)TABLE_BASE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                        -1, 0);
    void *spare = mmap((void *)SPARE_BASE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                       -1, 0);
    if (code != (void *)CODE_BASE || table != (reg_t *)TABLE_BASE || spare != (void *)SPARE_BASE) {
        die("cannot map the fixed regions");
    }
    memset(code, 0xCC, CODE_SIZE);

    write_u(0x314C5650, 4); /* "PVL1" */
    write_u(BITS, 4);
    write_u(CODE_BASE, 8);
    write_u(CODE_SIZE, 4);
    write_u(TABLE_BASE, 8);
    write_u((uintptr_t)stub_a, 8);
    write_u((uintptr_t)stub_b, 8);
    write_u((uintptr_t)stub_nop, 8);
    fflush(stdout);

    workers = (unsigned)read_u(4);
    min_plans = (unsigned)read_u(4);
    min_execs = read_u(8);
    max_ms = (unsigned)read_u(4);
    flags = (unsigned)read_u(4);
    stub_pauses = (uint32_t)read_u(4);
    if (workers < 1 || workers > MAX_WORKERS) {
        die("bad worker count");
    }
    unsigned nslots = (unsigned)read_u(4);
    if (nslots > 4096 / sizeof(reg_t)) {
        die("too many slots");
    }
    for (unsigned k = 0; k < nslots; k++) {
        table[k] = (reg_t)read_u(8);
    }
    nsites = (unsigned)read_u(4);
    if (nsites > MAX_SITES) {
        die("too many sites");
    }
    for (unsigned i = 0; i < nsites; i++) {
        struct site *s = &sites[i];
        s->address = (reg_t)read_u(8);
        s->len = (unsigned)read_u(1);
        s->semantics = (unsigned)read_u(1);
        if (!in_code(s->address, s->len + 1) || s->semantics > SEM_NATIVE) {
            die("bad site");
        }
        read_exact((void *)(uintptr_t)s->address, s->len);
        ((uint8_t *)(uintptr_t)s->address)[s->len] = 0xC3; /* ret, back to probe */
    }
    nplans = (unsigned)read_u(4);
    cycle_start = (unsigned)read_u(4);
    if (nplans < 1 || nplans > MAX_PLANS || cycle_start >= nplans) {
        die("bad plan count");
    }
    for (unsigned i = 0; i < nplans; i++) {
        struct plan *p = &plans[i];
        p->quiescent = (int)read_u(1);
        p->nsteps = (unsigned)read_u(4);
        if (p->nsteps > MAX_STEPS) {
            die("too many steps");
        }
        p->steps = calloc(p->nsteps ? p->nsteps : 1, sizeof(struct step));
        for (unsigned k = 0; k < p->nsteps; k++) {
            struct step *s = &p->steps[k];
            s->sync = (int)read_u(1);
            s->address = (reg_t)read_u(8);
            s->len = (unsigned)read_u(1);
            if (!s->sync && (s->len == 0 || !in_code(s->address, s->len))) {
                die("a write outside the code page");
            }
            read_exact(s->bytes, s->len);
        }
        p->ntraps = (unsigned)read_u(4);
        if (p->ntraps > MAX_TRAPS) {
            die("too many traps");
        }
        for (unsigned k = 0; k < p->ntraps; k++) {
            struct trap *t = &p->traps[k];
            t->address = (reg_t)read_u(8);
            t->action = (int)read_u(1);
            t->target = (reg_t)read_u(8);
            t->ret = (reg_t)read_u(8);
        }
    }

    use_membarrier = !(flags & FORCE_FALLBACK)
                     && syscall(NR_MEMBARRIER, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGTRAP, &sa, NULL);
    sa.sa_sigaction = on_fault;
    int faults[] = {SIGSEGV, SIGILL, SIGBUS, SIGFPE};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        sigaction(faults[i], &sa, NULL);
    }

    pthread_t threads[MAX_WORKERS];
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&threads[i], NULL, worker, &records[i]) != 0) {
            die("pthread_create failed");
        }
    }
    uint64_t start = now_ms();
    uint64_t live = 0, quiescent = 0;
    unsigned next = 0;
    for (;;) {
        struct plan *p = &plans[next];
        run_plan(p);
        if (p->quiescent) {
            quiescent++;
        } else {
            live++;
        }
        next = next + 1 < nplans ? next + 1 : cycle_start;
        uint64_t elapsed = now_ms() - start;
        uint64_t execs = total(offsetof(struct record, execs));
        if (next == cycle_start && live >= min_plans && execs >= min_execs) {
            break;
        }
        if (elapsed >= max_ms && next == cycle_start) {
            break;
        }
        if ((flags & STOP_EARLY) && next == cycle_start
            && total(offsetof(struct record, faults)) + total(offsetof(struct record, wrong)) >= 16) {
            break;
        }
    }
    /* Let the workers see the final bytes for a moment, then stop them. */
    sync_cores();
    stop_workers = 1;
    uint64_t waited = now_ms();
    for (unsigned i = 0; i < workers; i++) {
        /* A worker caught in a loop of garbage code never ends: report it as a fault and leave. */
        while (records[i].in_run && now_ms() - waited < 2000) {
            sched_yield();
        }
    }
    uint64_t hung = 0;
    for (unsigned i = 0; i < workers; i++) {
        hung += records[i].in_run ? 1 : 0;
    }
    if (!hung) {
        for (unsigned i = 0; i < workers; i++) {
            pthread_join(threads[i], NULL);
        }
    }
    for (unsigned i = 0; i < workers; i++) {
        const struct record *r = &records[i];
        if (r->first_kind) {
            report_fault(i, r);
        }
        if (r->in_run) {
            printf("fault worker=%u kind=hung site=0x%llx plan=%u started=%llu\n", i,
                   (unsigned long long)(r->running ? r->running->address : 0), running_plan,
                   (unsigned long long)plans_started);
        }
    }
    printf("live bits=%d threads=%u execs=%llu plans=%llu quiescent=%llu faults=%llu wrong=%llu traps=%llu"
           " emulated=%llu retried=%llu late=%llu sync=%s ms=%llu\n",
           BITS, workers, (unsigned long long)total(offsetof(struct record, execs)), (unsigned long long)live,
           (unsigned long long)quiescent,
           (unsigned long long)(total(offsetof(struct record, faults)) + hung),
           (unsigned long long)total(offsetof(struct record, wrong)),
           (unsigned long long)total(offsetof(struct record, traps)),
           (unsigned long long)total(offsetof(struct record, emulated)),
           (unsigned long long)total(offsetof(struct record, retried)),
           (unsigned long long)total(offsetof(struct record, late)), use_membarrier ? "membarrier" : "mprotect",
           (unsigned long long)(now_ms() - start));
    fflush(stdout);
    _exit(0);
}
