//go:build !linux

package pdfsandbox

import (
	"os"
	"os/exec"
	"syscall"
)

func selfExecutable() (string, error) { return os.Executable() }

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

// sysProcAttr: only Linux can tie a child's life to its parent's; elsewhere
// a child notices the parent is gone when its request pipe closes.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// resetPeakRSS: per-document peaks are measured on Linux only.
func resetPeakRSS() (uint64, bool) { return 0, false }

func peakRSS() (uint64, bool) { return 0, false }
