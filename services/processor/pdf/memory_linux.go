package pdf

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory backs one instance's linear memory with an anonymous mapping
// of its maximum size, reserved up front and paged in by the kernel as
// PDFium touches it. wazero's default keeps linear memory in a Go slice
// and grows it by copying into a larger one: the copy, the page faults on
// the new slice and, for a moment, both slices resident at once. Measured
// here that was about a tenth of a sandbox child's CPU, and the two-slices
// moment sets the peak. Here growing is a reslice, and Free unmaps at once
// instead of waiting for the garbage collector.
//
// Unmapping under a running call would fault, so this is only for engines
// that close an instance between calls (Options.NoInterrupt: the sandbox
// child), never for the interruptible one, whose Kill closes the module
// while PDFium may still be running.
// MappedMemory reports whether NoInterrupt engines keep linear memory out
// of the Go heap (Linux), so a retired instance's memory is returned to the
// system when it is closed rather than at the next garbage collection.
const MappedMemory = true

type mmapMemory struct {
	max uint64
	buf []byte
}

func mmapAllocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
		return &mmapMemory{max: max}
	})
}

// Reallocate returns the first size bytes of the mapping, mapping it on
// first use; nil (memory.grow fails, PDFium sees an allocation failure)
// past the maximum or when the mapping cannot be made.
func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.buf == nil {
		if m.max == 0 || m.max > 1<<32 {
			return nil
		}
		// MAP_NORESERVE: the reservation is address space, not a promise
		// of memory; what counts is what PDFium touches.
		b, err := syscall.Mmap(-1, 0, int(m.max), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
		if err != nil {
			return nil
		}
		m.buf = b
	}
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

// Free unmaps the memory; wazero calls it once the module is closed.
func (m *mmapMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
	}
}
