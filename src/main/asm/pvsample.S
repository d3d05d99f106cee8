/*
 * A tiny paravirtualized "kernel" for pvpatch's demo and tests: pv call sites in .text and
 * .init.text, recorded in .parainstructions the way Linux records them, calling through a
 * pv_ops table in .data whose slots hold native implementations, the way a kernel boots.
 *
 * Built for x86-64 and i386 (gcc -m32) by src/build/build-samples.sh. Macros:
 *   PV_RELATIVE  records in the 2023 packed layout {s32 instr_offset; u8 type; u8 len}
 *   PV_MODULE    no pv_ops here: calls are relocations against an external pv_ops (a .ko)
 */
#ifdef __x86_64__
# define PTR .quad
# define WORD 8
# define ALIGN_RECORD .balign 8
# define PV_CALL(slot) call *pv_ops+(slot)*WORD(%rip)
# define RET_REG %rax
#else
# define PTR .long
# define WORD 4
# define ALIGN_RECORD .balign 4
# define PV_CALL(slot) call *pv_ops+(slot)*WORD
#endif

/* One record for the code between labels 771 and 772, as the kernel's _paravirt_alt does. */
#ifdef PV_RELATIVE
# define PARA(type, clobbers)                \
    .pushsection .parainstructions, "a";    \
    .long 771b - .;                         \
    .byte type;                             \
    .byte 772b - 771b;                      \
    .popsection
#elif defined(__x86_64__)
# define PARA(type, clobbers)                \
    .pushsection .parainstructions, "a";    \
    .balign 8;                              \
    .quad 771b;                             \
    .byte type;                             \
    .byte 772b - 771b;                      \
    .short clobbers;                        \
    .long 0;                                \
    .popsection
#else
# define PARA(type, clobbers)                \
    .pushsection .parainstructions, "a";    \
    .balign 4;                              \
    .long 771b;                             \
    .byte type;                             \
    .byte 772b - 771b;                      \
    .short clobbers;                        \
    .popsection
#endif

#define IRQ_DISABLE 0
#define IRQ_ENABLE 1
#define SAVE_FL 2
#define RESTORE_FL 3
#define READ_CR2 4
#define FLUSH_TLB 5
#define MMU_UPDATE 6
#define QUEUED_UNLOCK 7
#define IDENT 8
#define WRITE_CR3 9

#ifdef __x86_64__
# define CLBR_RET 0x1
# define CLBR_ANY 0x1ff
#else
# define CLBR_RET 0x5
# define CLBR_ANY 0xf
#endif

    .text
    .globl _start
_start:
    /* Modern sites: a bare indirect call, clobbers from the record. */
771: PV_CALL(IRQ_DISABLE)
772: PARA(IRQ_DISABLE, CLBR_RET)
771: PV_CALL(SAVE_FL)
772: PARA(SAVE_FL, CLBR_RET)
771: PV_CALL(IDENT)
772: PARA(IDENT, CLBR_RET)
771: PV_CALL(FLUSH_TLB)
772: PARA(FLUSH_TLB, CLBR_ANY)
771: PV_CALL(MMU_UPDATE)
772: PARA(MMU_UPDATE, CLBR_ANY)
771: PV_CALL(QUEUED_UNLOCK)
772: PARA(QUEUED_UNLOCK, CLBR_RET)
    /* A 2.6.21-style site: the caller saves what a C call would destroy, clobbers eax only. */
#ifdef __x86_64__
771: push %rcx; push %rdx; push %rsi; push %rdi; push %r8; push %r9; push %r10; push %r11
    PV_CALL(IRQ_ENABLE)
    pop %r11; pop %r10; pop %r9; pop %r8; pop %rdi; pop %rsi; pop %rdx; pop %rcx
772: PARA(IRQ_ENABLE, CLBR_RET)
#else
771: push %ecx; push %edx
    PV_CALL(IRQ_ENABLE)
    pop %edx; pop %ecx
772: PARA(IRQ_ENABLE, 0x1)
#endif
    hlt

    .section .init.text, "ax"
init_path:
771: PV_CALL(WRITE_CR3)
772: PARA(WRITE_CR3, CLBR_ANY)
771: PV_CALL(READ_CR2)
772: PARA(READ_CR2, CLBR_RET)
    ret

#ifndef PV_MODULE
    /* The native implementations pv_ops holds at boot. */
    .text
native_irq_disable:     cli; ret
native_irq_enable:      sti; ret
#ifdef __x86_64__
native_save_fl:         pushf; pop %rax; ret
native_restore_fl:      push %rdi; popf; ret
native_read_cr2:        mov %cr2, %rax; ret
native_write_cr3:       mov %rdi, %cr3; ret
native_ident:           mov %rdi, %rax; ret
native_queued_unlock:   movb $0, (%rdi); ret
#else
native_save_fl:         pushf; pop %eax; ret
native_restore_fl:      push %eax; popf; ret
native_read_cr2:        mov %cr2, %eax; ret
native_write_cr3:       mov %eax, %cr3; ret
native_ident:           ret
native_queued_unlock:   movb $0, (%eax); ret
#endif
paravirt_nop:           ret
    /* A C function: it branches, so it is called, not inlined. */
native_mmu_update:
#ifdef __x86_64__
    test %rdi, %rdi
    je 1f
    mov %rsi, (%rdi)
1:  ret
#else
    test %eax, %eax
    je 1f
    mov %edx, (%eax)
1:  ret
#endif
    /* A callee-save thunk: it saves what the C function destroys, all but the return register. */
callee_save_unlock:
#ifdef __x86_64__
    push %rcx; push %rdx; push %rsi; push %rdi; push %r8; push %r9; push %r10; push %r11
    call native_mmu_update
    pop %r11; pop %r10; pop %r9; pop %r8; pop %rdi; pop %rsi; pop %rdx; pop %rcx
#else
    push %ecx
    call native_mmu_update
    pop %ecx
#endif
    ret

    .data
    .balign 64
    .globl pv_ops
pv_ops:
    PTR native_irq_disable      /* 0 */
    PTR native_irq_enable       /* 1 */
    PTR native_save_fl          /* 2 */
    PTR native_restore_fl       /* 3 */
    PTR native_read_cr2         /* 4 */
    PTR paravirt_nop            /* 5 */
    PTR native_mmu_update       /* 6 */
    PTR callee_save_unlock      /* 7 */
    PTR native_ident            /* 8 */
    PTR native_write_cr3        /* 9 */
#endif
