package procstatus

import (
	"os"
	"runtime"
	"testing"
)

func TestParse(t *testing.T) {
	status := []byte("Name:\tdocbatch\nVmPeak:\t  200 kB\nVmHWM:\t   1536 kB\nVmRSS:\t   1024 kB\nThreads:\t7\n")
	if v, err := parse(status, "VmHWM", "status"); err != nil || v != 1536<<10 {
		t.Errorf("VmHWM = %d, %v", v, err)
	}
	if v, err := parse(status, "VmRSS", "status"); err != nil || v != 1024<<10 {
		t.Errorf("VmRSS = %d, %v", v, err)
	}
	if _, err := parse(status, "VmSwap", "status"); err == nil {
		t.Error("a missing field read")
	}
	if _, err := parse(status, "Threads", "status"); err == nil {
		t.Error("a field without kB read as bytes")
	}
}

func TestLiveProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/status is Linux's")
	}
	self, err := Bytes(Self, "VmRSS")
	if err != nil || self == 0 {
		t.Fatalf("own VmRSS %d, %v", self, err)
	}
	byPid, err := Bytes(os.Getpid(), "VmHWM")
	if err != nil || byPid < self { // the peak is at least any earlier size
		t.Fatalf("VmHWM by pid %d (VmRSS %d), %v", byPid, self, err)
	}
}
