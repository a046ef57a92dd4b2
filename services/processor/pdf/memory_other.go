//go:build !linux

package pdf

import "github.com/tetratelabs/wazero/experimental"

// MappedMemory: see memory_linux.go.
const MappedMemory = false

// mmapAllocator: only Linux has one (memory_linux.go); elsewhere wazero's
// default, a Go slice, backs linear memory.
func mmapAllocator() experimental.MemoryAllocator { return nil }
