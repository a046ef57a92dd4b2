package pdfsandbox

import (
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"github.com/docbatch/docbatch/services/platform/procstatus"
)

// Linux delivers Pdeathsig when the *thread* that forked the child exits,
// not the process, and the Go runtime may end a thread (one whose goroutine
// exited while locked to it). So children are forked from one goroutine
// locked to its thread for the life of the process: that thread never
// exits, and a child is killed exactly when the processor dies.
var (
	spawnOnce sync.Once
	spawns    chan func()
)

func startProcess(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawns = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must live on
			for f := range spawns {
				f()
			}
		}()
	})
	done := make(chan error, 1)
	spawns <- func() { done <- cmd.Start() }
	return <-done
}

// sysProcAttr makes the kernel kill a child when the processor dies, even
// by kill -9: a child stuck in a hostile PDF would otherwise outlive it and
// keep a core busy.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// selfExecutable is /proc/self/exe: execve resolves it in the forked
// process, which is still a copy of this one, so the child runs this very
// binary even if its file has since been replaced.
func selfExecutable() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err != nil {
		return os.Executable()
	}
	return self, nil
}

// resetPeakRSS resets this process's peak resident set size (VmHWM) to its
// current size, which it returns. Writing "5" to clear_refs does that
// (Linux ≥ 4.0); ok is false where it cannot.
func resetPeakRSS() (current uint64, ok bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return statusBytes("VmRSS")
}

// peakRSS is VmHWM: the most this process has had resident since the
// last reset.
func peakRSS() (uint64, bool) { return statusBytes("VmHWM") }

func statusBytes(name string) (uint64, bool) {
	v, err := procstatus.Bytes(procstatus.Self, name)
	return v, err == nil
}
