package pdfsandbox

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
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
	return statusField("VmRSS:")
}

// peakRSS is VmHWM: the most this process has had resident since the
// last reset.
func peakRSS() (uint64, bool) { return statusField("VmHWM:") }

// statusField reads a "kB" field of /proc/self/status, in bytes.
func statusField(name string) (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(name)) {
			continue
		}
		f := bytes.Fields(line[len(name):])
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}
