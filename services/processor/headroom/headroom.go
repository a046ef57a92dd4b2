// Package headroom measures how much memory this processor can still take
// on: the least of what the operating system has available, what the
// process's cgroup still allows, and what is left of the processor's own
// budget once running documents' reservations are subtracted. The scheduler
// assigns work against this figure (design invariant 4), so it must never be
// more optimistic than the tightest of the three. It knows no transport.
package headroom

import (
	"context"
	"errors"
	"fmt"

	"github.com/shirou/gopsutil/v4/docker"
	"github.com/shirou/gopsutil/v4/mem"
)

// unlimitedCgroup: cgroup v1 reports "no limit" as 9223372036854771712 (the
// kernel's PAGE_COUNTER_MAX in bytes) and gopsutil maps v2's "max" to
// MaxUint64. No real machine has 2^62 bytes, so anything at or above it is
// read as "no limit".
const unlimitedCgroup = 1 << 62

// Reading is one measurement. Available is what the scheduler should
// believe; the other fields say where it came from.
type Reading struct {
	// Available = min(SystemAvailable, CgroupLimit-CgroupUsage, Budget-Reserved),
	// leaving out the sources that are unknown.
	Available uint64
	Budget    uint64
	Reserved  uint64
	// SystemAvailable is mem.VirtualMemory().Available; 0 when unknown.
	SystemAvailable uint64
	// CgroupLimited is true when the process's cgroup has a memory limit;
	// CgroupLimit and CgroupUsage are then its limit and current usage.
	CgroupLimited bool
	CgroupLimit   uint64
	CgroupUsage   uint64
}

// Meter reads the headroom of this process. It is safe for concurrent use.
type Meter struct {
	budget   uint64
	reserved func() uint64
	system   func(context.Context) (uint64, error)
	cgroup   func(context.Context) (limit, usage uint64, err error)
}

// Option adjusts a Meter; tests use them to replace the OS readers.
type Option func(*Meter)

// WithSystemReader replaces the reader of system available memory.
func WithSystemReader(f func(context.Context) (uint64, error)) Option {
	return func(m *Meter) { m.system = f }
}

// WithCgroupReader replaces the reader of the cgroup limit and usage. A limit
// at or above 2^62 means "no limit".
func WithCgroupReader(f func(context.Context) (limit, usage uint64, err error)) Option {
	return func(m *Meter) { m.cgroup = f }
}

// New returns a Meter for a processor with the given memory budget; reserved
// reports what running documents have reserved (Budget.Reserved).
func New(budget uint64, reserved func() uint64, opts ...Option) *Meter {
	m := &Meter{budget: budget, reserved: reserved, system: systemAvailable, cgroup: cgroupOwn}
	if m.reserved == nil {
		m.reserved = func() uint64 { return 0 }
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Read measures the headroom now. The Reading is usable even when err is
// not nil: a source that could not be read is left out of the minimum (the
// budget always bounds it), and err says which source failed so the caller
// can log it. A missing cgroup (not Linux, no memory controller) is not an
// error worth reporting, but it is returned too; callers typically log it
// once.
func (m *Meter) Read(ctx context.Context) (Reading, error) {
	r := Reading{Budget: m.budget, Reserved: m.reserved()}
	var errs []error
	if avail, err := m.system(ctx); err != nil {
		errs = append(errs, fmt.Errorf("reading system memory: %w", err))
	} else {
		r.SystemAvailable = avail
	}
	if limit, usage, err := m.cgroup(ctx); err != nil {
		errs = append(errs, fmt.Errorf("reading cgroup memory: %w", err))
	} else if limit > 0 && limit < unlimitedCgroup {
		r.CgroupLimited, r.CgroupLimit, r.CgroupUsage = true, limit, usage
	}
	r.Available = Compute(r)
	return r, errors.Join(errs...)
}

// Compute is the headroom rule on its own, for tests and for callers that
// collect the figures themselves.
func Compute(r Reading) uint64 {
	avail := sub(r.Budget, r.Reserved)
	if r.SystemAvailable > 0 {
		avail = min(avail, r.SystemAvailable)
	}
	if r.CgroupLimited {
		avail = min(avail, sub(r.CgroupLimit, r.CgroupUsage))
	}
	return avail
}

// sub is a-b clamped at 0: usage can exceed a limit briefly (page cache).
func sub(a, b uint64) uint64 {
	if b >= a {
		return 0
	}
	return a - b
}

func systemAvailable(ctx context.Context) (uint64, error) {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return 0, err
	}
	return vm.Available, nil
}

// cgroupOwn reads the cgroup of this process; gopsutil v4 handles cgroup v1
// and v2 (v3's reader returns 0 on this kind of machine, see DESIGN.md).
func cgroupOwn(ctx context.Context) (limit, usage uint64, err error) {
	st, err := docker.CgroupMemOwnWithContext(ctx)
	if err != nil {
		return 0, 0, err
	}
	return st.MemLimitInBytes, st.MemUsageInBytes, nil
}
